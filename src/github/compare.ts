import { requestWithRetries, type RetryOptions } from '../health/http.js';
import type { CodeDifference } from '../report/model.js';
import { globToRegExp } from '../s3/exclusions.js';

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
  files?: { filename: string; previous_filename?: string }[];
  message?: string;
}

/** GitHub lists at most this many files in a comparison. */
const MAX_FILES_LISTED = 300;

/**
 * Compares the target's commit with the source's through the GitHub REST API and picks out the
 * changed files that are migrations. Never throws: when the comparison is impossible, the result
 * says why in words a user can act on.
 */
export async function compareCommits(req: CompareRequest, retry: RetryOptions = {}): Promise<CodeDifference> {
  const notCompared = (reason: string): CodeDifference => ({ compared: false, reason, repository: req.repository || undefined });
  if (!req.token) return notCompared('no `github-token` was given, so the commits between the versions could not be listed');
  if (!req.repository) return notCompared('the repository is unknown (set `repository` to `owner/name`)');

  const url = `${req.apiUrl}/repos/${req.repository}/compare/${encodeURIComponent(req.base)}...${encodeURIComponent(req.head)}`;
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
    return notCompared(`the GitHub API at ${req.apiUrl} could not be reached (${(error as Error).message})`);
  }
  const said = answer.message ? `: ${answer.message}` : '';
  if (status === 404) {
    return notCompared(
      `GitHub does not know commit ${req.base} or ${req.head} in ${req.repository}, or the token cannot read that repository (HTTP 404${said})`,
    );
  }
  if (status === 401) return notCompared(`GitHub refused the token (HTTP 401${said})`);
  if (status === 403) return notCompared(`the token may not read ${req.repository} or hit a rate limit (HTTP 403${said})`);
  if (status !== 200) return notCompared(`GitHub answered HTTP ${status}${said}`);

  const files = answer.files ?? [];
  const migrationFiles = matchMigrationFiles(
    files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename])),
    req.migrationPaths,
  );
  return {
    compared: true,
    repository: req.repository,
    status: answer.status,
    aheadBy: answer.ahead_by ?? 0,
    behindBy: answer.behind_by ?? 0,
    filesChanged: files.length,
    migrationFiles,
    filesIncomplete: files.length >= MAX_FILES_LISTED,
    url: answer.html_url,
  };
}

/** The paths matching any of the `migration-paths` globs (a pattern ending in `/` is a folder). */
export function matchMigrationFiles(paths: readonly string[], globs: readonly string[]): string[] {
  const patterns = globs.map((glob) => globToRegExp(glob.endsWith('/') ? `${glob}**` : glob));
  return [...new Set(paths.filter((p) => patterns.some((re) => re.test(p))))];
}

function parseJson(text: string): CompareAnswer {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as CompareAnswer) : {};
  } catch {
    return {};
  }
}
