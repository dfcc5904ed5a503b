import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import type { ImagesPlan, KeySample } from '../report/model.js';
import { formatBytes, formatCount } from '../report/format.js';
import { exclusionsLine } from '../report/images-section.js';
import { DEFAULT_EXCLUSIONS } from '../config/images-options.js';
import { parseExclusions } from './exclusions.js';
import { diffBuckets, tallied, totalBytes, type ImagesDiff, type KeepOptions } from './diff.js';
import { describeBucketError, listBucket, streamBucket, type StreamInfo } from './list.js';
import { ListingOrderError, mergeListings } from './merge.js';
import { listsInS3Order } from './key-ranges.js';
import { recheckDifferingEtags } from './recheck.js';
import { describeBatchPlan } from './batch/hand-off.js';
import { copyListSpill } from './batch/plan.js';
import { CopyList } from './copy-list.js';

/** The diff found by the inspect step, handed to the refresh step of the same run. */
const diffs = new WeakMap<RunContext, ImagesDiff>();

export function diffOf(ctx: RunContext): ImagesDiff | undefined {
  return diffs.get(ctx);
}

const sampleOf = (tally: { length: number; bytes: number; keys: readonly string[] }): KeySample => ({ objects: tally.length, bytes: tally.bytes, keys: [...tally.keys] });

type ListedDiff = ImagesDiff & { sourceObjects: number; sourceBytes: number; targetObjects: number; targetBytes: number };

const bucketError = (ctx: RunContext, side: 'source' | 'target') => (error: unknown) => {
  const env = ctx.config[side];
  throw error instanceof ListingOrderError ? error : describeBucketError(error, env.bucket!, env.name, side);
};

const logListed = (ctx: RunContext, side: 'source' | 'target', objects: number, started: number, how: string) => {
  const env = ctx.config[side];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  core.info(`Listed ${env.name}'s bucket ${env.bucket}: ${formatCount(objects)} objects in ${seconds} s (${how}).`);
};

/**
 * Both buckets listed at the same time and merged as their pages arrive (S3 lists keys in UTF-8
 * binary order in every bucket), so memory holds the objects to copy and the delete candidates,
 * not the listings.
 */
async function streamedDiff(ctx: RunContext): Promise<ListedDiff> {
  const started = performance.now();
  const stream = (side: 'source' | 'target') => {
    const info: StreamInfo = { how: '' };
    const pages = streamBucket(ctx.s3Client(side), ctx.config[side].bucket!, info, { side, keyRanges: listsInS3Order(ctx.config.s3Endpoint) });
    // Each side's line is logged when its listing ends (the merge reads both at once).
    async function* logged() {
      let objects = 0;
      try {
        for await (const page of pages) {
          objects += page.length;
          yield page;
        }
      } catch (error) {
        bucketError(ctx, side)(error);
      }
      logListed(ctx, side, objects, started, info.how);
    }
    return logged();
  };
  const keep = keepOptions(ctx);
  return mergeListings(stream('source'), stream('target'), ctx.config.exclusions, keep).catch((error) => {
    keep.toCopy.dispose();
    throw error;
  });
}

/**
 * What the diff keeps: the objects to copy (on disk past `batch-threshold` when a Batch Operations
 * job may copy them), and delete candidates only as many as a run may delete (`max-delete`; past
 * it the guard refuses the run on their exact count; none with `delete: false`).
 */
function keepOptions(ctx: RunContext): KeepOptions & { toCopy: CopyList } {
  const { delete: deleting, maxDelete } = ctx.config.images;
  return { toCopy: newCopyList(ctx), deleteCandidates: deleting ? maxDelete : 0 };
}

function newCopyList(ctx: RunContext): CopyList {
  const spill = copyListSpill(ctx.config.images);
  if (!spill) return new CopyList();
  return new CopyList({
    ...spill,
    onSpill: (path) =>
      core.info(
        `More than ${formatCount(spill.aboveObjects)} objects to copy (batch-threshold): writing them to ${path} as they are found, ` +
          'for the Batch Operations manifest, instead of holding them in memory.',
      ),
  });
}

/** Today's diff of two listings held in memory: for stores that do not list in S3's order. */
async function inMemoryDiff(ctx: RunContext): Promise<ListedDiff> {
  const list = async (side: 'source' | 'target') => {
    const started = performance.now();
    const listed = await listBucket(ctx.s3Client(side), ctx.config[side].bucket!).catch(bucketError(ctx, side));
    logListed(ctx, side, listed.objects.length, started, listed.how);
    return listed.objects;
  };
  const [sourceObjects, targetObjects] = await Promise.all([list('source'), list('target')]);
  return {
    ...tallied(diffBuckets(sourceObjects, targetObjects, ctx.config.exclusions), keepOptions(ctx)),
    sourceObjects: sourceObjects.length,
    sourceBytes: totalBytes(sourceObjects),
    targetObjects: targetObjects.length,
    targetBytes: totalBytes(targetObjects),
  };
}

/**
 * Lists both buckets at the same time and works out what the refresh does: what is copied,
 * skipped, excluded and (with `delete: true`) deleted. Writes nothing: on a dry run this is
 * the whole images part.
 */
export async function inspectBuckets(ctx: RunContext): Promise<string> {
  const { source, target, exclusions, images: options } = ctx.config;
  const patterns = exclusions.map((rule) => rule.pattern);
  const applied = { patterns, defaults: patterns.join('\n') === parseExclusions(DEFAULT_EXCLUSIONS).join('\n') };
  core.info(exclusionsLine(applied).replace(/`/g, ''));
  const diff = await streamedDiff(ctx).catch(async (error) => {
    if (!(error instanceof ListingOrderError)) throw error;
    core.info(`The listings cannot be merged as they stream: ${error.message}. Listing both buckets in memory instead.`);
    return inMemoryDiff(ctx);
  });
  const { sourceObjects, sourceBytes, targetObjects, targetBytes } = diff;
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
    copy: sampleOf(diff.toCopy),
    skip: sampleOf(diff.toSkip),
    exclude: sampleOf(diff.excluded),
    delete: sampleOf(diff.targetOnly),
    deleteEnabled: options.delete,
  };
  ctx.report.images = {
    sourceObjects,
    sourceBytes,
    targetObjects,
    targetBytes,
    exclusions: applied,
    excludedObjects: diff.excluded.length,
    excludedBytes: diff.excluded.bytes,
    candidateObjects: sourceObjects - diff.excluded.length,
    candidateBytes: sourceBytes - diff.excluded.bytes,
    skippedObjects: diff.toSkip.length,
    plan,
  };
  if (ctx.config.dryRun) {
    Object.assign(ctx.report.images, { copiedObjects: 0, copiedBytes: 0, deletedObjects: 0 });
  }
  // Hand-off (issue 14): say what Batch Operations would do, its cost and IAM.
  if (ctx.config.dryRun) describeBatchPlan(ctx, diff.toCopy.length, diff.toCopy.large.length);
  const guard = deleteGuardProblem(diff, options);
  if (guard && ctx.config.dryRun) ctx.note('warning', `A real run would stop before copying: ${guard}`);

  const would = ctx.config.dryRun ? 'would copy' : 'to copy';
  const deletion = options.delete
    ? `, ${ctx.config.dryRun ? 'would delete' : 'to delete'} ${formatCount(plan.delete.objects)}`
    : plan.delete.objects > 0
      ? `, ${formatCount(plan.delete.objects)} only in ${target.name} (kept)`
      : '';
  return (
    `${source.name}: ${formatCount(sourceObjects)} objects (${formatBytes(sourceBytes)}), ` +
    `${formatCount(diff.excluded.length)} excluded; ${target.name}: ${formatCount(targetObjects)} objects ` +
    `(${formatBytes(targetBytes)}); ${would} ${formatCount(plan.copy.objects)} (${formatBytes(plan.copy.bytes)}), ` +
    `skip ${formatCount(plan.skip.objects)}${deletion}`
  );
}

/** Why the `max-delete` guard refuses this run, or undefined when it does not. */
export function deleteGuardProblem(diff: { targetOnly: { length: number } }, options: { delete: boolean; maxDelete: number }): string | undefined {
  if (!options.delete || diff.targetOnly.length <= options.maxDelete) return undefined;
  return (
    `\`delete: true\` would delete ${formatCount(diff.targetOnly.length)} objects, more than \`max-delete\` ` +
    `(${formatCount(options.maxDelete)}). Check that \`source-bucket\` is right, then raise \`max-delete\` to at least ` +
    `${diff.targetOnly.length} to allow it.`
  );
}
