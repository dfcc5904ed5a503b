/** Everything a run found and did; the summary, the outputs and the JSON report derive from it. */
export interface RunReport {
  startedAt: string;
  finishedAt?: string;
  mode: string;
  dryRun: boolean;
  sourceName: string;
  targetName: string;
  /** `skipped`: the event asked for nothing (e.g. a pull-request comment that is not the command). */
  outcome: 'synced' | 'dry-run' | 'failed' | 'skipped';
  steps: StepReport[];
  database?: DatabaseReport;
  images?: ImagesReport;
  versionMismatch?: boolean;
  /** Health of both environments before (and the target's after) the run; absent when no API URL was given. */
  health?: HealthReport;
  /** What differs between the two environments' code and schemas, when their versions were read. */
  versions?: VersionReport;
  /** Flushing the target's caches after the database refresh (or why they may be stale). */
  cache?: CacheReport;
  notes: Note[];
  failure?: { step: string; message: string; targetState?: string };
}

export interface StepReport {
  id: string;
  title: string;
  status: 'succeeded' | 'failed' | 'not-run';
  seconds?: number;
  /** One line saying what the step did (or would do, on a dry run). */
  detail?: string;
  error?: string;
}

export interface Note {
  level: 'info' | 'warning' | 'error';
  text: string;
}

export interface DatabaseReport {
  countTable: string;
  sourceCount?: number;
  targetCountBefore?: number;
  targetCountAfter?: number;
  /**
   * Whether the refresh replaced the count-table. When it did, `sourceCount` and `targetCountAfter`
   * are the figures of the copied snapshot; when not (e.g. `exclude-tables` names it), staging keeps its own.
   */
  countTableRefreshed?: boolean;
  tablesCopied?: number;
  rowsCopied?: number;
  /** `copy`, `dump`, … (the `db-method` input). */
  method?: string;
  /** Bytes of COPY data moved (copy method). */
  bytesCopied?: number;
  /** Seconds the refresh (or, on a dry run, the inspection) took. */
  seconds?: number;
  /** How foreign keys were kept from making the load order matter, in words. */
  foreignKeys?: string;
  /** Per-table plan (dry run) or result (real run). */
  tables?: TableReport[];
  /** Things a reader must know: skipped columns, tables only on one side, … */
  warnings?: string[];
  /** Users re-pointed at staging's Cognito pool after the load (`cognito-user-pool-id`). Counts only: e-mails and subs are personal data. */
  identity?: IdentityRemapReport;
}

export interface IdentityRemapReport {
  userPoolId: string;
  /** `schema.table`. */
  table: string;
  emailColumn: string;
  subjectColumn: string;
  /** The `identity-unmatched` policy. */
  unmatchedPolicy: 'null' | 'keep' | 'fail';
  /** Users ListUsers returned, and in how many pages. */
  poolUsers: number;
  pages: number;
  /** Rows given the `sub` of the pool user with their e-mail. */
  rowsUpdated?: number;
  /** Rows holding a subject but no pool user with their e-mail (cleared, kept, or the reason the run failed). */
  rowsUnmatched?: number;
  /** Rows with neither a subject nor a pool user: left as they are. */
  rowsWithoutIdentity?: number;
  /** Pool users whose e-mail no row has. */
  poolUsersWithoutRow?: number;
  /** Pool users without an `email` (or `sub`) attribute. */
  poolUsersWithoutEmail: number;
  /** E-mail addresses several pool users share (case-insensitively): their rows count as unmatched. */
  ambiguousEmails?: number;
}

export interface TableReport {
  /** `schema.table`. */
  table: string;
  /** copy: refreshed; keep: left as the target has it; skip: only in the source, not copied. */
  action: 'copy' | 'keep' | 'skip';
  /** Why, in words (e.g. "only in staging: left untouched"). */
  reason?: string;
  sourceRows?: number;
  targetRowsBefore?: number;
  /** Columns production masked before the values left it, with the rule (e.g. "`email`: email"). */
  masked?: string[];
  rowsCopied?: number;
  bytes?: number;
  seconds?: number;
  format?: 'binary' | 'text';
  /** Columns that differ between the two sides, in words. */
  columnDifferences?: string[];
}

export interface ImagesReport {
  sourceObjects: number;
  sourceBytes: number;
  targetObjects: number;
  targetBytes: number;
  /** The exclusion patterns that applied, as written (empty: nothing excluded); `defaults`: the input was empty. */
  exclusions?: { patterns: string[]; defaults: boolean };
  /** Source objects matched by `exclusions`. */
  excludedObjects: number;
  excludedBytes: number;
  /** Source objects not excluded: the ones the refresh is about. */
  candidateObjects: number;
  candidateBytes: number;
  copiedObjects?: number;
  copiedBytes?: number;
  skippedObjects?: number;
  /** `server-side` or `stream` (what `copy-method: auto` resolved to). */
  copyMethod?: string;
  concurrency?: number;
  deletedObjects?: number;
  deletedBytes?: number;
  failedObjects?: number;
  /** The first failures (at most 20), key and reason. */
  failures?: { key: string; error: string }[];
  /** Seconds spent copying and deleting (listing excluded). */
  seconds?: number;
  /** What the diff found: the work planned (a dry run stops here). */
  plan?: ImagesPlan;
  /** The S3 Batch Operations job that copied (copy-engine: batch). */
  batchJob?: { id: string; consoleUrl: string; tasks: number };
}

export interface ImagesPlan {
  copy: KeySample;
  skip: KeySample;
  exclude: KeySample;
  /** Target-only objects that `delete: true` removes (or would). */
  delete: KeySample;
  /** Whether `delete` is on; when off, `delete` lists what stays. */
  deleteEnabled: boolean;
}

/** A category of keys: its size and its first keys (at most 20), for the summary. */
export interface KeySample {
  objects: number;
  bytes: number;
  keys: string[];
}

/** One environment's `health/info` + `health/deep`, as read at one moment. */
export interface EnvironmentHealth {
  checkedAt: string;
  reachable: boolean;
  /** True when the database check is `healthy` and `schema_validated` is true. */
  healthy: boolean;
  /** Why it is not healthy (unreachable, database check, schema), in words. */
  problem?: string;
  version?: string;
  gitSha?: string;
  /** The environment the API says it is (`environment` field). */
  environment?: string;
  /** Overall `status` of `health/deep`: healthy, degraded or unhealthy. */
  status?: string;
  databaseStatus?: string;
  schemaValidated?: boolean;
  bookCount?: number;
}

export interface HealthReport {
  source?: EnvironmentHealth;
  targetBefore?: EnvironmentHealth;
  targetAfter?: EnvironmentHealth;
  /** Polling the target after the refresh until it is healthy. */
  postCheck?: { attempts: number; seconds: number; healthy: boolean };
  /** Which health paths and JSON fields were read (`health-*` inputs), in words. */
  contract?: string;
  /** The JSON field the health counts come from (`health-count-field`). */
  countField?: string;
}

export interface VersionReport {
  source: { version?: string; gitSha?: string };
  target: { version?: string; gitSha?: string };
  mismatch: boolean;
  /** The commits between the two `git_sha` (GitHub compare); absent when they are equal. */
  code?: CodeDifference;
  /** The two databases' schemas compared; absent when the versions are equal. */
  schema?: SchemaDifference;
  /** The `on-version-mismatch` policy. */
  policy: string;
  /** What the run did about the mismatch, in words. */
  decision?: string;
}

export interface CodeDifference {
  compared: boolean;
  /** Why the comparison was not possible. */
  reason?: string;
  repository?: string;
  /** GitHub's word for the source relative to the target: ahead, behind, diverged, identical. */
  status?: string;
  /** Commits in the source not in the target, and the reverse. */
  aheadBy?: number;
  behindBy?: number;
  /** The last commit both run (GitHub's `merge_base_commit`). */
  mergeBase?: string;
  /** What the source's commits changed since the merge base: what only the source has. */
  sourceSide?: CodeSide;
  /** What the target's commits changed since the merge base: what only the target has. */
  targetSide?: CodeSide;
  /** Migrations on either side (both sides' `migrationFiles`). */
  migrationFiles?: string[];
  /** Files changed on either side. */
  filesChanged?: number;
  /** Either side's list may miss files. */
  filesIncomplete?: boolean;
  /** GitHub's page for the source's side (`target...source`). */
  url?: string;
}

/** One side of a comparison: the files its own commits changed since the merge base. */
export interface CodeSide {
  commits: number;
  filesChanged: number;
  /** Changed files matching `migration-paths`. */
  migrationFiles: string[];
  /** GitHub lists at most 300 files, or this side could not be listed (`problem`): more may have changed. */
  filesIncomplete: boolean;
  /** Why this side's files could not be listed. */
  problem?: string;
  url?: string;
}

export interface SchemaDifference {
  compared: boolean;
  reason?: string;
  tablesCompared?: number;
  differences?: string[];
}

export interface CacheReport {
  /** Where the flush was POSTed; absent when no `cache-flush-url` was given. */
  url?: string;
  flushed: boolean;
  httpStatus?: number;
  error?: string;
  /** `cache-ttl` as given: how long cached data may be stale when not flushed. */
  ttl?: string;
}

export function newReport(init: Pick<RunReport, 'mode' | 'dryRun' | 'sourceName' | 'targetName'>, startedAt = new Date()): RunReport {
  return { ...init, startedAt: startedAt.toISOString(), outcome: init.dryRun ? 'dry-run' : 'synced', steps: [], notes: [] };
}
