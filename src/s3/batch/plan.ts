import type { ImagesOptions } from '../../config/images-options.js';
import { formatCount } from '../../report/format.js';
import type { SpillPolicy } from '../copy-list.js';

/** Who copies this run's objects, and why (for the log). */
export interface EngineChoice {
  engine: 'runner' | 'batch';
  reason: string;
}

/** `auto`: Batch Operations above `batch-threshold` objects, when its inputs are set. */
export function chooseCopyEngine(options: ImagesOptions, objectsToCopy: number): EngineChoice {
  const { copyEngine, batchThreshold, batch } = options;
  if (copyEngine === 'runner') return { engine: 'runner', reason: '`copy-engine: runner`' };
  if (copyEngine === 'batch') return { engine: 'batch', reason: '`copy-engine: batch`' };
  if (objectsToCopy <= batchThreshold) {
    return { engine: 'runner', reason: `${formatCount(objectsToCopy)} objects to copy, not more than \`batch-threshold\` (${formatCount(batchThreshold)})` };
  }
  if (!batch) {
    return {
      engine: 'runner',
      reason:
        `${formatCount(objectsToCopy)} objects to copy, more than \`batch-threshold\` (${formatCount(batchThreshold)}), but S3 Batch Operations ` +
        'is not set up (`batch-role-arn`, `batch-manifest-bucket`)',
    };
  }
  return { engine: 'batch', reason: `${formatCount(objectsToCopy)} objects to copy, more than \`batch-threshold\` (${formatCount(batchThreshold)})` };
}

/**
 * The objects to copy go to a local file past `batch-threshold` only when a Batch Operations job
 * may copy them (it reads them once, in order, into its manifest); the runner copies from memory.
 */
export function copyListSpill(options: ImagesOptions): SpillPolicy | undefined {
  if (!options.batch || options.copyEngine === 'runner') return undefined;
  return { aboveObjects: options.batchThreshold, dir: options.tempDir };
}

/** Batch Operations copies objects up to 5 GB (CopyObject's limit); larger ones go by the runner's multipart path. */
export const BATCH_MAX_OBJECT_BYTES = 5 * 1024 ** 3;

/**
 * AWS's published list prices for S3 Batch Operations (https://aws.amazon.com/s3/pricing/,
 * "Management & Insights", US East (N. Virginia)); not checked from here, and the COPY requests
 * the job makes are billed on top at the bucket's request price.
 */
export const BATCH_PRICES = { perJobUsd: 0.25, perMillionObjectsUsd: 1.0, copyPerThousandUsd: 0.005 };

export function estimatedBatchCostUsd(tasks: number): { job: number; objects: number; requests: number; total: number } {
  const job = BATCH_PRICES.perJobUsd;
  const objects = (tasks / 1_000_000) * BATCH_PRICES.perMillionObjectsUsd;
  const requests = (tasks / 1000) * BATCH_PRICES.copyPerThousandUsd;
  return { job, objects, requests, total: job + objects + requests };
}

export const usd = (amount: number) => `$${amount < 10 ? amount.toFixed(2) : amount.toFixed(0)}`;

/** What the job role must be allowed to do (it copies; the action itself only creates and watches the job). */
export function jobRolePermissions(sourceBucket: string, targetBucket: string, manifestBucket: string, manifestPrefix: string): string[] {
  return [
    'trust: `batchoperations.s3.amazonaws.com` may `sts:AssumeRole`',
    `\`s3:GetObject\`, \`s3:GetObjectVersion\`, \`s3:GetObjectTagging\`, \`s3:ListBucket\` on \`${sourceBucket}\` (production)`,
    `\`s3:PutObject\`, \`s3:PutObjectTagging\` on \`${targetBucket}/*\` (staging)`,
    `\`s3:GetObject\`, \`s3:GetObjectVersion\` on \`${manifestBucket}/${manifestPrefix}*\` (the manifest)`,
    `\`s3:PutObject\`, \`s3:GetBucketLocation\` on \`${manifestBucket}\` / \`${manifestBucket}/${manifestPrefix}*\` (the completion report)`,
  ];
}

/** One progress line: tasks succeeded, failed, total, rate and time left. */
export function progressLine(p: { succeeded: number; failed: number; total: number; status: string }, rate: number | undefined): string {
  const done = p.succeeded + p.failed;
  const percent = p.total > 0 ? Math.floor((done / p.total) * 100) : 0;
  const left = rate && rate > 0 ? `, about ${formatDuration((p.total - done) / rate)} left` : '';
  return (
    `Batch job ${p.status}: ${formatCount(p.succeeded)} succeeded, ${formatCount(p.failed)} failed of ${formatCount(p.total)} (${percent}%)` +
    `${rate !== undefined ? `, ${formatCount(Math.round(rate))} tasks/s` : ''}${left}`
  );
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function consoleUrl(region: string, accountId: string, jobId: string): string {
  return `https://${region}.console.aws.amazon.com/s3/jobs/${encodeURIComponent(jobId)}?region=${region}&accountId=${accountId}`;
}
