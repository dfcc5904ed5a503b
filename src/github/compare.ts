import { requestWithRetries, type RetryOptions } from '../health/http.js';
import type { CodeDifference, CodeSide } from '../report/model.js';
import { compileGlobList, selectingRule } from '../glob/glob.js';

export interface CompareRequest {
  /** Base URL of the REST API (GITHUB_API_URL), without trailing slash. */
  apiUrl: string;
  repository: string;
  token: string;
  /** The commit the target runs. */
  base: string;
  /** The commit the source runs. */
  head: string;
  migrationPaths: readonly string[];
}

/** The parts of GitHub's "compare two commits" answer used here. */
interface CompareAnswer {
  status?: string;
  ahead_by?: number;
  behind_by?: number;
  html_url?: string;
  merge_base_commit?: { sha?: string };
  files?: { filename: string; previous_filename?: string }[];
  message?: string;
}

/** GitHub lists at most this many files in a comparison. */
const MAX_FILES_LISTED = 300;

/**
 * Compares the target's commit with the source's through the GitHub REST API and picks out, on
 * each side, the changed files that are migrations. GitHub's `base...head` lists only what head
 * changed since the merge base (nothing at all when head is behind), so the target's own side
 * needs a second comparison, `head...base`, made only when the target has commits the source
 * lacks. Never throws: when the comparison is impossible, the result says why in words a user
 * can act on.
 */
export async function compareCommits(req: CompareRequest, retry: RetryOptions = {}): Promise<CodeDifference> {
  const notCompared = (reason: string): CodeDifference => ({ compared: false, reason, repository: req.repository || undefined });
  if (!req.token) return notCompared('no `github-token` was given, so the commits between the versions could not be listed');
  if (!req.repository) return notCompared('the repository is unknown (set `repository` to `owner/name`)');

  const sourceAnswer = await fetchComparison(req, req.base, req.head, retry);
  if (typeof sourceAnswer === 'string') return notCompared(sourceAnswer);
  const aheadBy = sourceAnswer.ahead_by ?? 0;
  const behindBy = sourceAnswer.behind_by ?? 0;
  const sourceSide = sideOf(sourceAnswer, aheadBy, req.migrationPaths);

  let targetSide: CodeSide = { commits: 0, filesChanged: 0, migrationFiles: [], filesIncomplete: false };
  if (behindBy > 0) {
    const targetAnswer = await fetchComparison(req, req.head, req.base, retry);
    targetSide =
      typeof targetAnswer === 'string'
        ? { commits: behindBy, filesChanged: 0, migrationFiles: [], filesIncomplete: true, problem: targetAnswer }
        : sideOf(targetAnswer, behindBy, req.migrationPaths);
  }
  return {
    compared: true,
    repository: req.repository,
    status: sourceAnswer.status,
    aheadBy,
    behindBy,
    mergeBase: sourceAnswer.merge_base_commit?.sha,
    sourceSide,
    targetSide,
    migrationFiles: [...new Set([...sourceSide.migrationFiles, ...targetSide.migrationFiles])],
    filesChanged: sourceSide.filesChanged + targetSide.filesChanged,
    filesIncomplete: sourceSide.filesIncomplete || targetSide.filesIncomplete,
    url: sourceSide.url,
  };
}

/** `base...head`: GitHub's answer, or why there is none. */
async function fetchComparison(req: CompareRequest, base: string, head: string, retry: RetryOptions): Promise<CompareAnswer | string> {
  const url = `${req.apiUrl}/repos/${req.repository}/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}`;
  let status: number;
  let answer: CompareAnswer;
  try {
    const response = await requestWithRetries(
      url,
      {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${req.token}`,
          'x-github-api-version': '2022-11-28',
        },
      },
      retry,
    );
    status = response.status;
    answer = parseJson(response.body);
  } catch (error) {
    return `the GitHub API at ${req.apiUrl} could not be reached (${(error as Error).message})`;
  }
  const said = answer.message ? `: ${answer.message}` : '';
  if (status === 404) {
    return `GitHub does not know commit ${base} or ${head} in ${req.repository}, or the token cannot read that repository (HTTP 404${said})`;
  }
  if (status === 401) return `GitHub refused the token (HTTP 401${said})`;
  if (status === 403) return `the token may not read ${req.repository} or hit a rate limit (HTTP 403${said})`;
  if (status !== 200) return `GitHub answered HTTP ${status}${said}`;
  return answer;
}

/** Head's side of `base...head`: the files its commits changed since the merge base. */
function sideOf(answer: CompareAnswer, commits: number, migrationPaths: readonly string[]): CodeSide {
  const files = answer.files ?? [];
  return {
    commits,
    filesChanged: files.length,
    migrationFiles: matchMigrationFiles(
      files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename])),
      migrationPaths,
    ),
    filesIncomplete: files.length >= MAX_FILES_LISTED,
    url: answer.html_url,
  };
}

/**
 * The paths the `migration-paths` globs select (a pattern ending in `/` is a folder; `!pattern`
 * makes an exception to an earlier one). The config has refused invalid patterns already.
 */
export function matchMigrationFiles(paths: readonly string[], globs: readonly string[]): string[] {
  const { rules } = compileGlobList(globs, { negation: true, trailingSlashIsPrefix: true });
  return [...new Set(paths.filter((p) => selectingRule(rules, p)))];
}

function parseJson(text: string): CompareAnswer {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as CompareAnswer) : {};
  } catch {
    return {};
  }
}
