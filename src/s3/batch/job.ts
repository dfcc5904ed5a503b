import * as core from '@actions/core';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, UpdateJobStatusCommand, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { createHash } from 'node:crypto';
import type { BatchOptions } from '../../config/images-options.js';
import { formatCount } from '../../report/format.js';
import type { BucketRef } from '../copy.js';
import type { CopyItems } from '../copy-list.js';
import type { CopyOutcome } from '../engine.js';
import { clientRequestToken, manifestKey, manifestLine } from './manifest.js';
import { consoleUrl, progressLine } from './plan.js';
import { failedResultKeys, parseFailedTasks, type FailedTask } from './report.js';
import { uploadLines } from './upload.js';

export interface BatchCopyRequest {
  /** Read twice: for the manifest's name, then for its lines (they may come from a file). */
  items: CopyItems;
  sourceBucket: string;
  /** The staging bucket, through the target's client (which also writes the manifest). */
  target: BucketRef;
  /** Client for the manifest bucket (staging side). */
  manifestClient: BucketRef['client'];
  control: S3ControlClient;
  batch: BatchOptions;
  region: string;
  /** Called with the job id as soon as it exists (the summary names it even if the run fails later). */
  onJob: (job: { id: string; consoleUrl: string }) => void;
  pollMs?: number;
  logEveryMs?: number;
}

export interface BatchCopyOutcome extends CopyOutcome {
  jobId: string;
  /** True when the action cancelled the job (the workflow was cancelled). */
  cancelled: boolean;
  /** Failed tasks S3 counted; may exceed `failures.length` when a report could not be read. */
  failedTasks: number;
  /** Why the job itself failed (S3's FailureReasons), when it did. */
  jobFailure?: string;
}

const FINISHED = new Set(['Complete', 'Failed', 'Cancelled']);

/**
 * Copies `items` with one S3 Batch Operations job: writes the manifest, creates the job (an
 * idempotency token derived from the run and the manifest), watches it, cancels it when the
 * workflow is cancelled, and reads the failed tasks from the completion report.
 */
export async function copyWithBatchJob(req: BatchCopyRequest): Promise<BatchCopyOutcome> {
  const started = performance.now();
  const { batch, control } = req;
  const partition = /^arn:(aws[a-z-]*):/.exec(batch.roleArn)?.[1] ?? 'aws';
  const s3Arn = (resource: string) => `arn:${partition}:s3:::${resource}`;

  // The manifest's name and the job's token come from its content: a rerun with the same work reuses both.
  const digest = createHash('sha256');
  for await (const text of manifestText(req.sourceBucket, req.items)) digest.update(text);
  const key = manifestKey(batch.manifestPrefix, batch.runId, digest.digest('hex'));
  await uploadLines({ client: req.manifestClient, bucket: batch.manifestBucket }, key, manifestText(req.sourceBucket, req.items), 'text/csv');
  const head = await req.manifestClient.send(new HeadObjectCommand({ Bucket: batch.manifestBucket, Key: key }));
  core.info(`Wrote the Batch Operations manifest (${formatCount(req.items.length)} objects) to s3://${batch.manifestBucket}/${key}.`);

  const reportPrefix = `${batch.manifestPrefix}reports`;
  const token = clientRequestToken({ runId: batch.runId, targetBucket: req.target.bucket, manifestKey: key, manifestEtag: head.ETag ?? '' });
  const created = await control.send(
    new CreateJobCommand({
      AccountId: batch.accountId,
      ConfirmationRequired: false,
      ClientRequestToken: token,
      RoleArn: batch.roleArn,
      Priority: 10,
      Description: `prod-to-staging-sync: ${req.sourceBucket} to ${req.target.bucket}${batch.runId ? `, run ${batch.runId}` : ''}`.slice(0, 256),
      Operation: { S3PutObjectCopy: { TargetResource: s3Arn(req.target.bucket), MetadataDirective: 'COPY' } },
      Manifest: {
        Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] },
        Location: { ObjectArn: s3Arn(`${batch.manifestBucket}/${key}`), ETag: head.ETag },
      },
      Report: { Enabled: true, Bucket: s3Arn(batch.manifestBucket), Prefix: reportPrefix, Format: 'Report_CSV_20180820', ReportScope: 'FailedTasksOnly' },
    }),
  );
  const jobId = created.JobId!;
  const link = consoleUrl(req.region, batch.accountId, jobId);
  req.onJob({ id: jobId, consoleUrl: link });
  core.info(`Created S3 Batch Operations job ${jobId} (${formatCount(req.items.length)} tasks): ${link}`);

  // The runner sends SIGINT, then SIGTERM, when the workflow is cancelled: stop the job with it.
  let cancelRequested: Promise<void> | undefined;
  let cancelSettled = false;
  const onSignal = (signal: string) => {
    if (cancelRequested) return;
    core.info(`Received ${signal}: cancelling S3 Batch Operations job ${jobId}.`);
    cancelRequested = control
      .send(
        new UpdateJobStatusCommand({
          AccountId: batch.accountId,
          JobId: jobId,
          RequestedJobStatus: 'Cancelled',
          StatusUpdateReason: 'The workflow run was cancelled',
        }),
      )
      .then(
        () => core.info(`Cancelled S3 Batch Operations job ${jobId}: objects it already copied stay in staging; the rest were not copied.`),
        (error: Error) => core.warning(`Could not cancel S3 Batch Operations job ${jobId} (${error.name}: ${error.message}); cancel it in the console: ${link}`),
      )
      .finally(() => (cancelSettled = true));
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);

  const pollMs = req.pollMs ?? 2000;
  const logEveryMs = req.logEveryMs ?? 10_000;
  let lastLog = 0;
  let lastStatus = '';
  let first: { at: number; done: number } | undefined;
  let progress = { succeeded: 0, failed: 0, total: req.items.length, status: 'New' };
  let jobFailure: string | undefined;
  try {
    for (;;) {
      const { Job: job } = await control.send(new DescribeJobCommand({ AccountId: batch.accountId, JobId: jobId }));
      const summary = job?.ProgressSummary;
      progress = {
        succeeded: summary?.NumberOfTasksSucceeded ?? 0,
        failed: summary?.NumberOfTasksFailed ?? 0,
        total: summary?.TotalNumberOfTasks || req.items.length, // 0 until the job has read the manifest
        status: job?.Status ?? 'unknown',
      };
      const now = performance.now();
      const done = progress.succeeded + progress.failed;
      if (!first || (first.done === 0 && done === 0)) first = { at: now, done };
      const rate = now - first.at > 0 ? ((done - first.done) / (now - first.at)) * 1000 : undefined;
      const finished = FINISHED.has(progress.status);
      if (finished || progress.status !== lastStatus || now - lastLog >= logEveryMs) {
        core.info(progressLine(progress, rate));
        lastLog = now;
        lastStatus = progress.status;
      }
      // The runner kills the action seconds after the signal: report now, without waiting for the job to wind down.
      if (cancelSettled && !finished) break;
      if (finished) {
        if (progress.status === 'Failed') {
          jobFailure = (job?.FailureReasons ?? []).map((f) => `${f.FailureCode ?? ''}: ${f.FailureReason ?? ''}`).join('; ') || 'no reason given';
        }
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    await cancelRequested;
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }

  const failures = progress.failed > 0 && FINISHED.has(progress.status) ? await readFailedTasks(req.manifestClient, batch.manifestBucket, `${reportPrefix}/job-${jobId}/manifest.json`) : [];
  const failedKeys = new Set(failures.map((f) => f.key));
  let copiedBytes = 0;
  if (progress.status === 'Complete' && failedKeys.size === progress.failed) {
    copiedBytes = req.items.bytes;
    if (failedKeys.size > 0) {
      for await (const batch of req.items.batches()) for (const item of batch) if (failedKeys.has(item.source.key)) copiedBytes -= item.source.size;
    }
  }
  return {
    jobId,
    cancelled: cancelRequested !== undefined,
    failedTasks: progress.failed,
    ...(jobFailure ? { jobFailure } : {}),
    copiedObjects: progress.succeeded,
    copiedBytes,
    failures,
    streamedAfterFallback: 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The manifest's lines, many at a time. */
async function* manifestText(bucket: string, items: CopyItems): AsyncGenerator<string> {
  for await (const batch of items.batches()) yield batch.map((item) => manifestLine(bucket, item.source.key)).join('');
}

/** The failed tasks of the completion report; a report that cannot be read is one failure saying so. */
async function readFailedTasks(client: BucketRef['client'], bucket: string, reportManifest: string): Promise<FailedTask[]> {
  const read = async (key: string) => {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return got.Body!.transformToString();
  };
  try {
    const failed: FailedTask[] = [];
    for (const key of failedResultKeys(await read(reportManifest))) failed.push(...parseFailedTasks(await read(key)));
    return failed;
  } catch (error) {
    const e = error as Error;
    return [{ key: `s3://${bucket}/${reportManifest}`, error: `the completion report could not be read (${e.name}: ${e.message})` }];
  }
}
