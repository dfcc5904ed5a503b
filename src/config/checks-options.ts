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

export const HEALTH_MODES = ['json', 'http-200'] as const;
export type HealthMode = (typeof HEALTH_MODES)[number];

/**
 * What an app's health API looks like: two paths, and where in their JSON each fact is (dotted
 * paths such as `data.build.sha`; undefined: not read). The defaults are the first app's API.
 */
export interface HealthContract {
  /** `json`: judged by the fields below; `http-200`: any 2xx answer of the deep path is healthy. */
  mode: HealthMode;
  /** Identity: version, git SHA, environment (read here first, then from the deep path). */
  infoPath: string;
  /** State: status, schema check, count (also what the post-check polls). */
  deepPath: string;
  fields: {
    /** Healthy when its value is one of `healthyValues`. */
    status?: string;
    /** Healthy only when it is `true`. */
    schema?: string;
    /** The `books-*` figures when no database is reached. */
    count?: string;
    version?: string;
    gitSha?: string;
  };
  healthyValues: string[];
}

export const DEFAULT_HEALTH_FIELDS = {
  status: 'checks.database.status',
  schema: 'checks.database.schema_validated',
  count: 'checks.database.book_count',
  version: 'version',
  gitSha: 'git_sha',
} as const;

/** Pre-/post-flight checks, version notes and the cache: inputs validated. */
export interface ChecksOptions {
  health: HealthContract;
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
    health: parseHealthContract(inputs),
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

const FIELD_PATH = /^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$/;

function parseHealthContract(inputs: InputSource): HealthContract {
  const path = (name: string, fallback: string): string => {
    const text = inputs.value(name, fallback);
    if (/^\/[^\s?#]*$/.test(text)) return text;
    inputs.problems.push(`\`${name}\` must be a path on the API starting with \`/\` (e.g. \`${fallback}\`), got \`${text}\`.`);
    return fallback;
  };
  const field = (name: string, fallback: string): string | undefined => {
    const text = inputs.value(name, fallback);
    if (text === 'none') return undefined;
    if (FIELD_PATH.test(text)) return text;
    inputs.problems.push(`\`${name}\` must be a dotted path into the JSON answer (e.g. \`${fallback}\` or \`data.build.sha\`), or \`none\` to not read it, got \`${text}\`.`);
    return fallback;
  };
  return {
    mode: inputs.choice('health-mode', HEALTH_MODES, 'json'),
    infoPath: path('health-info-path', '/health/info'),
    deepPath: path('health-deep-path', '/health/deep'),
    fields: {
      status: field('health-status-field', DEFAULT_HEALTH_FIELDS.status),
      schema: field('health-schema-field', DEFAULT_HEALTH_FIELDS.schema),
      count: field('health-count-field', DEFAULT_HEALTH_FIELDS.count),
      version: field('health-version-field', DEFAULT_HEALTH_FIELDS.version),
      gitSha: field('health-git-sha-field', DEFAULT_HEALTH_FIELDS.gitSha),
    },
    healthyValues: inputs.list('health-healthy-values', 'healthy'),
  };
}
