import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import { StepError } from '../plan/runner.js';
import { formatBytes, formatCount } from '../report/format.js';
import { totalBytes } from './diff.js';
import { copyAll, deleteAll, type CopyFailure, type ResolvedCopyMethod } from './engine.js';
import { deleteGuardProblem, diffOf, inspectBuckets } from './inspect.js';
import { copyObjects } from './batch/hand-off.js';

const SHOWN_FAILURES = 20;

/** `auto` copies server-side when one set of credentials reaches both buckets, else by stream. */
export function resolveCopyMethod(method: 'auto' | ResolvedCopyMethod, sharedCredentials: boolean): ResolvedCopyMethod {
  if (method !== 'auto') return method;
  return sharedCredentials ? 'server-side' : 'stream';
}

/**
 * Copies what the inspect step found missing or different into the target bucket, then (with
 * `delete: true`) deletes the target-only objects. Deletion is checked against `max-delete`
 * before anything is written, and skipped when any copy failed.
 */
export async function refreshImages(ctx: RunContext): Promise<string> {
  if (!diffOf(ctx)) await inspectBuckets(ctx);
  const diff = diffOf(ctx)!;
  const { source, target, images: options } = ctx.config;
  const report = ctx.report.images!;

  const guard = deleteGuardProblem(diff, options);
  if (guard) throw new StepError(guard, 'unchanged (the run stopped before copying or deleting anything)');

  const method = resolveCopyMethod(options.copyMethod, ctx.sharedCredentials);
  // A server-side copy is one request through the target's client reading the source bucket;
  // a stream reads with the source's client and writes with the target's.
  const from = { client: ctx.s3Client('source'), bucket: source.bucket! };
  const to = { client: ctx.s3Client('target'), bucket: target.bucket! };
  // Hand-off (issue 14): the runner copies, or an S3 Batch Operations job does.
  const { outcome, engine } = await copyObjects(ctx, diff.toCopy, (items) => {
    core.info(
      `Copying ${formatCount(items.length)} objects (${formatBytes(totalBytes(items.map((i) => i.source)))}) from ${source.name} to ${target.name}, ` +
        `${method}, ${options.concurrency} at a time.`,
    );
    return copyAll(items, from, to, {
      method,
      concurrency: options.concurrency,
      log: (line) => core.info(line),
      sourceName: source.name,
    });
  }).finally(() => diff.toCopy.dispose());
  const methodLabel = engine ?? method;
  if (outcome.streamedAfterFallback > 0) {
    ctx.note('info', `${formatCount(outcome.streamedAfterFallback)} objects were streamed because the store refused server-side copies.`);
  }
  Object.assign(report, {
    copyMethod: methodLabel,
    concurrency: options.concurrency,
    copiedObjects: outcome.copiedObjects,
    copiedBytes: outcome.copiedBytes,
    skippedObjects: diff.toSkip.length,
    failedObjects: outcome.failures.length,
    failures: outcome.failures.slice(0, SHOWN_FAILURES),
    deletedObjects: 0,
    deletedBytes: 0,
    seconds: outcome.seconds,
  });
  const copied = `${formatCount(outcome.copiedObjects)} objects copied (${formatBytes(outcome.copiedBytes)})`;

  if (outcome.failures.length > 0) {
    throw new StepError(
      failureMessage('could not be copied', outcome.failures),
      `partly refreshed: ${copied}, ${formatCount(outcome.failures.length)} failed, ` +
        `${options.delete ? 'nothing deleted (deletion is skipped after a failed copy)' : 'nothing deleted'}`,
    );
  }

  let deletion = '';
  if (options.delete && diff.targetOnly.length > 0) {
    const started = performance.now();
    // The guard above let through only what the diff kept in full (up to `max-delete`).
    const candidates = diff.targetOnly.objects;
    const result = await deleteAll(candidates.map((o) => o.key), to);
    const failedKeys = new Set(result.failures.map((f) => f.key));
    report.deletedObjects = result.deleted;
    report.deletedBytes = totalBytes(candidates.filter((o) => !failedKeys.has(o.key)));
    report.seconds = outcome.seconds + (performance.now() - started) / 1000;
    if (result.failures.length > 0) {
      report.failedObjects = result.failures.length;
      report.failures = result.failures.slice(0, SHOWN_FAILURES);
      throw new StepError(
        failureMessage('could not be deleted', result.failures),
        `refreshed except deletion: ${copied}, ${formatCount(result.deleted)} deleted, ${formatCount(result.failures.length)} not deleted`,
      );
    }
    deletion = `, ${formatCount(result.deleted)} deleted`;
  }
  return `${copied}, ${formatCount(diff.toSkip.length)} already identical, ${formatCount(diff.excluded.length)} excluded${deletion} (${methodLabel})`;
}

function failureMessage(what: string, failures: CopyFailure[]): string {
  const shown = failures.slice(0, SHOWN_FAILURES).map((f) => `\`${f.key}\`: ${f.error}`);
  const more = failures.length > SHOWN_FAILURES ? `\n- … and ${formatCount(failures.length - SHOWN_FAILURES)} more` : '';
  return `${formatCount(failures.length)} objects ${what}:\n- ${shown.join('\n- ')}${more}`;
}
