import * as core from '@actions/core';
import type { RunContext } from '../../context.js';
import { StepError } from '../../plan/runner.js';
import { formatBytes, formatCount } from '../../report/format.js';
import type { CopyList } from '../copy-list.js';
import type { CopyItem } from '../diff.js';
import type { CopyOutcome } from '../engine.js';
import { createS3ControlClient } from './control-client.js';
import { copyWithBatchJob } from './job.js';
import { chooseCopyEngine, estimatedBatchCostUsd, jobRolePermissions, usd } from './plan.js';

/** Copies on the runner (the runner's own engine, given by the caller). */
export type RunnerCopy = (items: readonly CopyItem[]) => Promise<CopyOutcome>;

/**
 * The refresh step's hand-off: given the objects to copy, copy them on the runner or hand them
 * to one S3 Batch Operations job (objects over 5 GB still go by the runner's multipart path).
 * Returns the combined outcome and the engine's name for the report.
 */
export async function copyObjects(ctx: RunContext, items: CopyList, runnerCopy: RunnerCopy): Promise<{ outcome: CopyOutcome; engine?: string }> {
  const { images: options, source, target, awsRegion } = ctx.config;
  const choice = chooseCopyEngine(options, items.length);
  // Nothing a job could copy (no objects, or only ones over 5 GB): no job.
  if (choice.engine === 'runner' || !options.batch || items.length === items.large.length) {
    if (options.copyEngine !== 'runner' && items.length > options.batchThreshold) core.info(`Copying on the runner: ${choice.reason.replace(/`/g, '')}.`);
    return { outcome: await runnerCopy(await items.toArray()) };
  }
  const batch = options.batch;
  const tooBig = items.large;
  const forJob = items.upTo5GB();
  core.info(
    `Copying with S3 Batch Operations (${choice.reason.replace(/`/g, '')}): ${formatCount(forJob.length)} objects in one job` +
      (tooBig.length > 0 ? `, ${formatCount(tooBig.length)} over 5 GB (${formatBytes(items.bytes - forJob.bytes)}) on the runner.` : '.'),
  );
  const report = ctx.report.images!;
  const { connectTimeoutMs, requestTimeoutMs } = ctx.config.network;
  const control = createS3ControlClient(awsRegion, { connectTimeoutMs, answerTimeoutMs: requestTimeoutMs, idleTimeoutMs: requestTimeoutMs }, ctx.aws.credentials('target'));
  const [job, big] = await Promise.all([
    copyWithBatchJob({
      items: forJob,
      sourceBucket: source.bucket!,
      target: { client: ctx.s3Client('target'), bucket: target.bucket! },
      manifestClient: ctx.s3Client('target'),
      control,
      batch,
      region: awsRegion,
      onJob: (created) => (report.batchJob = { ...created, tasks: forJob.length }),
    }),
    tooBig.length > 0 ? runnerCopy(tooBig) : undefined,
  ]);
  const outcome: CopyOutcome = {
    copiedObjects: job.copiedObjects + (big?.copiedObjects ?? 0),
    copiedBytes: job.copiedBytes + (big?.copiedBytes ?? 0),
    failures: [...job.failures, ...(big?.failures ?? [])],
    streamedAfterFallback: big?.streamedAfterFallback ?? 0,
    seconds: Math.max(job.seconds, big?.seconds ?? 0),
  };
  if (job.cancelled || job.jobFailure) {
    Object.assign(report, { copyMethod: 'S3 Batch Operations', copiedObjects: outcome.copiedObjects, copiedBytes: outcome.copiedBytes, seconds: outcome.seconds });
    const what = job.cancelled
      ? `The workflow was cancelled: S3 Batch Operations job ${job.jobId} was cancelled after copying ${formatCount(job.copiedObjects)} of ${formatCount(forJob.length)} objects.`
      : `S3 Batch Operations job ${job.jobId} failed: ${job.jobFailure}. Check the job role's permissions (see README, S3 Batch Operations).`;
    throw new StepError(what, `partly refreshed: ${formatCount(outcome.copiedObjects)} objects copied, nothing deleted`);
  }
  return { outcome, engine: 'S3 Batch Operations' };
}

/** Dry run: what a real run would hand to Batch Operations, its cost at list prices, and the IAM it needs. */
export function describeBatchPlan(ctx: RunContext, objectsToCopy: number, bigObjects: number): void {
  const { images: options, source, target } = ctx.config;
  const choice = chooseCopyEngine(options, objectsToCopy);
  if (choice.engine !== 'batch' || !options.batch) {
    if (options.copyEngine === 'auto' && objectsToCopy > options.batchThreshold) ctx.note('info', `A real run would copy on the runner: ${choice.reason}.`);
    return;
  }
  const tasks = objectsToCopy - bigObjects;
  if (tasks === 0) return;
  const cost = estimatedBatchCostUsd(tasks);
  const b = options.batch;
  ctx.note(
    'info',
    `A real run would create an S3 Batch Operations job (${choice.reason}) with ${formatCount(tasks)} tasks` +
      `${bigObjects > 0 ? ` (${formatCount(bigObjects)} objects over 5 GB copied on the runner)` : ''}, in account ${b.accountId} as \`${b.roleArn}\`. ` +
      `Estimated cost at AWS's list prices (US East): ${usd(cost.job)} per job + ${usd(cost.objects)} for ${formatCount(tasks)} objects ` +
      `($1.00 per million) + about ${usd(cost.requests)} of COPY requests = about ${usd(cost.total)}. ` +
      `The job role needs: ${jobRolePermissions(source.bucket!, target.bucket!, b.manifestBucket, b.manifestPrefix).join('; ')}.`,
  );
}
