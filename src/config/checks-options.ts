import { compileGlobList, splitPatterns } from '../glob/glob.js';
import type { InputSource } from './inputs.js';

export const VERSION_MISMATCH_POLICIES = ['warn', 'fail', 'fail-on-schema-change'] as const;
export type VersionMismatchPolicy = (typeof VERSION_MISMATCH_POLICIES)[number];

/** Where schema changes usually live; a changed file matching one of these counts as a migration. */
export const DEFAULT_MIGRATION_PATHS = '**/migrations/**\n**/alembic/versions/**\n**/db/migrate/**\n**/prisma/migrations/**\n**/*.sql';

/**
 * Facts about the workflow run that are not inputs (GitHub sets them as environment variables).
 * main.ts reads them and passes them in, so this module stays free of process.env.
 */
export interface RunnerFacts {
  /** `owner/name` of the repository running the workflow (GITHUB_REPOSITORY). */
  repository?: string;
  /** Base URL of the GitHub REST API (GITHUB_API_URL; differs on GitHub Enterprise). */
  githubApiUrl?: string;
}

/** Pre-/post-flight checks, version notes and the cache: inputs validated. */
export interface ChecksOptions {
  /** `owner/name` whose commits the two environments' `git_sha` refer to; empty when unknown. */
  repository: string;
  githubApiUrl: string;
  migrationPaths: string[];
  onVersionMismatch: VersionMismatchPolicy;
  /** How long to wait for the target to come back healthy after a refresh. */
  postCheckTimeoutMs: number;
  cacheFlushUrl?: string;
  cacheFlushToken?: string;
  /** As the user wrote it (e.g. `5m`), for the summary's staleness note. */
  cacheTtl?: string;
}

export function parseChecksOptions(inputs: InputSource, runner: RunnerFacts = {}): ChecksOptions {
  const repository = inputs.value('repository', runner.repository ?? '');
  if (repository && !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
    inputs.problems.push(`\`repository\` must be \`owner/name\` (e.g. \`acme/bookshelf\`), got \`${repository}\`.`);
  }
  const migrationPaths = parseMigrationPaths(inputs);
  const onVersionMismatch = inputs.choice('on-version-mismatch', VERSION_MISMATCH_POLICIES, 'warn');
  const postCheckTimeoutMs = inputs.duration('post-check-timeout', '120s');

  const flushText = inputs.value('cache-flush-url');
  let cacheFlushUrl: string | undefined;
  if (flushText) {
    cacheFlushUrl = httpUrl(flushText);
    if (!cacheFlushUrl) inputs.problems.push(`\`cache-flush-url\` must be an http(s) URL such as https://api.staging.example.com/admin/cache/flush, got \`${flushText}\`.`);
  }
  const cacheFlushToken = inputs.value('cache-flush-token') || undefined;
  if (cacheFlushToken) inputs.secret(cacheFlushToken);
  if (cacheFlushToken && !flushText) {
    inputs.problems.push('`cache-flush-token` is set but `cache-flush-url` is empty: give the URL the token is for, or drop the token.');
  }

  const cacheTtl = inputs.value('cache-ttl') || undefined;
  if (cacheTtl) inputs.duration('cache-ttl', cacheTtl);

  return {
    repository,
    githubApiUrl: (runner.githubApiUrl || 'https://api.github.com').replace(/\/+$/, ''),
    migrationPaths,
    onVersionMismatch,
    postCheckTimeoutMs,
    cacheFlushUrl,
    cacheFlushToken,
    cacheTtl,
  };
}

/**
 * `migration-paths`: globs (src/glob/glob.ts), one per line or comma-separated — but a comma
 * inside a brace set belongs to it (`db/**\/*.{sql,py}`). `!pattern` makes an exception to an
 * earlier pattern; a pattern ending in `/` is a folder. Each bad pattern goes to `inputs.problems`.
 */
export function parseMigrationPaths(inputs: InputSource): string[] {
  const patterns = splitPatterns(inputs.value('migration-paths', DEFAULT_MIGRATION_PATHS), { commas: true });
  const { rules, problems } = compileGlobList(patterns, { negation: true, trailingSlashIsPrefix: true, textsNeverStartWithSlash: 'paths in a repository' });
  for (const { pattern, reason } of problems) inputs.problems.push(`\`migration-paths\` holds \`${pattern}\`, which is not a valid pattern: ${reason}.`);
  return rules.map((rule) => rule.pattern);
}

function httpUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
