import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import type { ImagesPlan, KeySample } from '../report/model.js';
import { formatBytes, formatCount } from '../report/format.js';
import { exclusionsLine } from '../report/images-section.js';
import { DEFAULT_EXCLUSIONS } from '../config/images-options.js';
import { parseExclusions } from './exclusions.js';
import { diffBuckets, totalBytes, type ImagesDiff } from './diff.js';
import { describeBucketError, listBucket, type ObjectEntry } from './list.js';
import { recheckDifferingEtags } from './recheck.js';
import { describeBatchPlan } from './batch/hand-off.js';
import { BATCH_MAX_OBJECT_BYTES } from './batch/plan.js';

/** The diff found by the inspect step, handed to the refresh step of the same run. */
const diffs = new WeakMap<RunContext, ImagesDiff>();

export function diffOf(ctx: RunContext): ImagesDiff | undefined {
  return diffs.get(ctx);
}

const SAMPLE_KEYS = 20;

export function sample(objects: readonly ObjectEntry[]): KeySample {
  return { objects: objects.length, bytes: totalBytes(objects), keys: objects.slice(0, SAMPLE_KEYS).map((o) => o.key) };
}

/**
 * Lists both buckets at the same time and works out what the refresh does: what is copied,
 * skipped, excluded and (with `delete: true`) deleted. Writes nothing: on a dry run this is
 * the whole images part.
 */
export async function inspectBuckets(ctx: RunContext): Promise<string> {
  const { source, target, exclusions, images: options } = ctx.config;
  const list = async (side: 'source' | 'target') => {
    const env = ctx.config[side];
    const started = performance.now();
    const listed = await listBucket(ctx.s3Client(side), env.bucket!).catch((error) => {
      throw describeBucketError(error, env.bucket!, env.name, side);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    core.info(`Listed ${env.name}'s bucket ${env.bucket}: ${formatCount(listed.objects.length)} objects in ${seconds} s (${listed.how}).`);
    return listed.objects;
  };
  const patterns = exclusions.map((rule) => rule.pattern);
  const applied = { patterns, defaults: patterns.join('\n') === parseExclusions(DEFAULT_EXCLUSIONS).join('\n') };
  core.info(exclusionsLine(applied).replace(/`/g, ''));
  const [sourceObjects, targetObjects] = await Promise.all([list('source'), list('target')]);
  const diff = diffBuckets(sourceObjects, targetObjects, exclusions);
  const recheck = await recheckDifferingEtags(
    diff,
    { client: ctx.s3Client('source'), bucket: source.bucket! },
    { client: ctx.s3Client('target'), bucket: target.bucket! },
    options.concurrency,
  );
  if (recheck.checked > 0) {
    core.info(
      `${formatCount(recheck.checked)} objects had the same size and different ETags: ${formatCount(recheck.requests)} HEAD requests found ` +
        `${formatCount(recheck.notMd5)} with an ETag that is not an MD5 (SSE-KMS or SSE-C); ${formatCount(recheck.identical)} are skipped as unchanged, ` +
        `${formatCount(recheck.checked - recheck.identical)} still copied.`,
    );
  }
  diffs.set(ctx, diff);

  const plan: ImagesPlan = {
    copy: sample(diff.toCopy.map((item) => item.source)),
    skip: sample(diff.toSkip),
    exclude: sample(diff.excluded),
    delete: sample(diff.targetOnly),
    deleteEnabled: options.delete,
  };
  ctx.report.images = {
    sourceObjects: sourceObjects.length,
    sourceBytes: totalBytes(sourceObjects),
    targetObjects: targetObjects.length,
    targetBytes: totalBytes(targetObjects),
    exclusions: applied,
    excludedObjects: diff.excluded.length,
    excludedBytes: totalBytes(diff.excluded),
    candidateObjects: sourceObjects.length - diff.excluded.length,
    candidateBytes: totalBytes(sourceObjects) - totalBytes(diff.excluded),
    skippedObjects: diff.toSkip.length,
    plan,
  };
  if (ctx.config.dryRun) {
    Object.assign(ctx.report.images, { copiedObjects: 0, copiedBytes: 0, deletedObjects: 0 });
  }
  // Hand-off (issue 14): say what Batch Operations would do, its cost and IAM.
  if (ctx.config.dryRun) describeBatchPlan(ctx, diff.toCopy.length, diff.toCopy.filter((i) => i.source.size > BATCH_MAX_OBJECT_BYTES).length);
  const guard = deleteGuardProblem(diff, options);
  if (guard && ctx.config.dryRun) ctx.note('warning', `A real run would stop before copying: ${guard}`);

  const would = ctx.config.dryRun ? 'would copy' : 'to copy';
  const deletion = options.delete
    ? `, ${ctx.config.dryRun ? 'would delete' : 'to delete'} ${formatCount(plan.delete.objects)}`
    : plan.delete.objects > 0
      ? `, ${formatCount(plan.delete.objects)} only in ${target.name} (kept)`
      : '';
  return (
    `${source.name}: ${formatCount(sourceObjects.length)} objects (${formatBytes(totalBytes(sourceObjects))}), ` +
    `${formatCount(diff.excluded.length)} excluded; ${target.name}: ${formatCount(targetObjects.length)} objects ` +
    `(${formatBytes(totalBytes(targetObjects))}); ${would} ${formatCount(plan.copy.objects)} (${formatBytes(plan.copy.bytes)}), ` +
    `skip ${formatCount(plan.skip.objects)}${deletion}`
  );
}

/** Why the `max-delete` guard refuses this run, or undefined when it does not. */
export function deleteGuardProblem(diff: ImagesDiff, options: { delete: boolean; maxDelete: number }): string | undefined {
  if (!options.delete || diff.targetOnly.length <= options.maxDelete) return undefined;
  return (
    `\`delete: true\` would delete ${formatCount(diff.targetOnly.length)} objects, more than \`max-delete\` ` +
    `(${formatCount(options.maxDelete)}). Check that \`source-bucket\` is right, then raise \`max-delete\` to at least ` +
    `${diff.targetOnly.length} to allow it.`
  );
}
