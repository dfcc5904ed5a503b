import { tmpdir } from 'node:os';
import { compileExclusions, parseExclusions, type ExclusionRule } from '../s3/exclusions.js';
import type { InputSource } from './inputs.js';

/** Who copies: this runner, S3 Batch Operations, or (auto) Batch Operations above `batch-threshold` objects. */
export const COPY_ENGINES = ['auto', 'runner', 'batch'] as const;
export type CopyEngine = (typeof COPY_ENGINES)[number];
export const DEFAULT_BATCH_THRESHOLD = 100_000;
export const DEFAULT_BATCH_MANIFEST_PREFIX = 'prod-to-staging-sync/batch/';

/** S3 Batch Operations settings (issue 14); present when `batch-role-arn` and `batch-manifest-bucket` are set. */
export interface BatchOptions {
  /** The role Batch Operations assumes to copy (trusts batchoperations.s3.amazonaws.com). */
  roleArn: string;
  /** The account the job is created in (S3 Control's `x-amz-account-id`): the job role's account. */
  accountId: string;
  /** Where the manifest and the completion report are written. */
  manifestBucket: string;
  /** Ends with `/`; every object the action writes there lives under it. */
  manifestPrefix: string;
  /** The workflow run, for the job's idempotency token and the manifest's name. */
  runId?: string;
}

/** How objects get from the source bucket into the target bucket. */
export const COPY_METHODS = ['auto', 'server-side', 'stream'] as const;
export type CopyMethod = (typeof COPY_METHODS)[number];

export const DEFAULT_COPY_METHOD: CopyMethod = 'auto';
/** Objects copied at once. Chosen with `npm run bench:s3` (see README, Images refresh). */
export const DEFAULT_IMAGES_CONCURRENCY = 64;
export const DEFAULT_MAX_DELETE = 1000;

/** Inputs of the images engine, validated; problems go to `inputs.problems`. */
export interface ImagesOptions {
  copyMethod: CopyMethod;
  /** Objects copied at the same time. */
  concurrency: number;
  /** Delete target objects the source lacks (never excluded ones). */
  delete: boolean;
  /** Refuse (before deleting anything) when more than this many objects would be deleted. */
  maxDelete: number;
  copyEngine: CopyEngine;
  /** `copy-engine: auto` hands the copy to Batch Operations above this many objects. */
  batchThreshold: number;
  batch?: BatchOptions;
  /** A local directory for what is too big to hold in memory (the runner's RUNNER_TEMP). */
  tempDir: string;
}

const JOB_ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What the images engine takes from the runner's environment. */
export interface ImagesRunnerFacts {
  /** GITHUB_RUN_ID. */
  runId?: string;
  /** RUNNER_TEMP: emptied by the runner after each job. */
  tempDir?: string;
}

export function parseImagesOptions(inputs: InputSource, runner: ImagesRunnerFacts = {}): ImagesOptions {
  const options: ImagesOptions = {
    copyMethod: inputs.choice('copy-method', COPY_METHODS, DEFAULT_COPY_METHOD),
    concurrency: inputs.integer('concurrency', DEFAULT_IMAGES_CONCURRENCY, 1, 512),
    delete: inputs.boolean('delete', false) ?? false,
    maxDelete: inputs.integer('max-delete', DEFAULT_MAX_DELETE, 0, 10_000_000),
    copyEngine: inputs.choice('copy-engine', COPY_ENGINES, 'auto'),
    batchThreshold: inputs.integer('batch-threshold', DEFAULT_BATCH_THRESHOLD, 0, 1_000_000_000),
    tempDir: runner.tempDir || tmpdir(),
  };
  const batch = parseBatchOptions(inputs, options.copyEngine, runner.runId);
  if (batch) options.batch = batch;
  return options;
}

/** Both inputs or neither; `copy-engine: batch` needs both. */
function parseBatchOptions(inputs: InputSource, engine: CopyEngine, runId: string | undefined): BatchOptions | undefined {
  const { problems } = inputs;
  const roleArn = inputs.value('batch-role-arn');
  const manifestBucket = inputs.value('batch-manifest-bucket');
  let prefix = inputs.value('batch-manifest-prefix', DEFAULT_BATCH_MANIFEST_PREFIX).replace(/^\/+/, '');
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  const account = JOB_ROLE_ARN.exec(roleArn)?.[1];
  if (roleArn && !account) {
    problems.push(`\`batch-role-arn\` must be an IAM role ARN such as \`arn:aws:iam::123456789012:role/staging-batch-copy\`, got \`${roleArn}\`.`);
  }
  if (manifestBucket && !BUCKET_NAME.test(manifestBucket)) {
    problems.push(`\`batch-manifest-bucket\` must be an S3 bucket name (lowercase letters, digits, dots and hyphens), got \`${manifestBucket}\`.`);
  }
  const missing = [!roleArn && '`batch-role-arn`', !manifestBucket && '`batch-manifest-bucket`'].filter(Boolean);
  if (missing.length === 1 || (engine === 'batch' && missing.length > 0)) {
    problems.push(
      `S3 Batch Operations needs both \`batch-role-arn\` (the role the job copies with) and \`batch-manifest-bucket\` (a staging-side bucket for the manifest and the report); ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} empty. ` +
        (engine === 'batch' ? 'Set them, or use `copy-engine: runner`.' : 'Set both, or neither to copy on the runner.'),
    );
  }
  if (!account || !manifestBucket || !BUCKET_NAME.test(manifestBucket)) return undefined;
  return { roleArn, accountId: account, manifestBucket, manifestPrefix: prefix || DEFAULT_BATCH_MANIFEST_PREFIX, ...(runId ? { runId } : {}) };
}

/**
 * When the manifest lives in the staging bucket, its prefix is the action's own: never copied
 * over, never deleted as "only in staging". Returned as an exclusion rule appended to the user's.
 */
export function batchManifestExclusions(images: ImagesOptions, targetBucket: string | undefined): ExclusionRule[] {
  if (!images.batch || images.batch.manifestBucket !== targetBucket) return [];
  return compileExclusions([escapeGlob(images.batch.manifestPrefix)]).rules;
}

const escapeGlob = (text: string) => text.replace(/[\\*?[\]{}!#]/g, (c) => `\\${c}`);

/** What an empty `exclusions` input means: deployment packages, import files, the scraper's area. */
export const DEFAULT_EXCLUSIONS = 'lambda/\ndeploy/\ndata-import/\nlistings/';
/** `exclusions: none`: nothing excluded (an empty input means the defaults). */
export const NO_EXCLUSIONS = 'none';

/** The `exclusions` input, compiled; each bad pattern goes to `inputs.problems`. */
export function parseExclusionsInput(inputs: InputSource): ExclusionRule[] {
  const patterns = parseExclusions(inputs.value('exclusions', DEFAULT_EXCLUSIONS));
  const isNone = (pattern: string) => pattern.toLowerCase() === NO_EXCLUSIONS;
  if (patterns.length === 1 && isNone(patterns[0]!)) return [];
  if (patterns.some(isNone)) {
    inputs.problems.push(
      `\`exclusions\` holds \`${NO_EXCLUSIONS}\` among other patterns: \`${NO_EXCLUSIONS}\` alone means nothing is excluded; remove it, or write \`\\${NO_EXCLUSIONS}\` for a key named \`${NO_EXCLUSIONS}\`.`,
    );
  }
  const { rules, problems } = compileExclusions(patterns.filter((pattern) => !isNone(pattern)));
  for (const { pattern, reason } of problems) inputs.problems.push(`\`exclusions\` holds \`${pattern}\`, which is not a valid pattern: ${reason}.`);
  return rules;
}
