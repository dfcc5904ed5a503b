import type { RunContext } from '../context.js';
import { formatBytes, formatCount } from '../report/format.js';
import { matchExclusion } from './exclusions.js';
import { describeBucketError, listAllObjects } from './list.js';

/** Lists both buckets and records what the exclusions match. */
export async function inspectBuckets(ctx: RunContext): Promise<string> {
  const { source, target, exclusions } = ctx.config;
  const list = (side: 'source' | 'target') => {
    const env = ctx.config[side];
    return listAllObjects(ctx.s3Client(side), env.bucket!).catch((error) => {
      throw describeBucketError(error, env.bucket!, env.name, side);
    });
  };
  const [sourceObjects, targetObjects] = await Promise.all([list('source'), list('target')]);
  const sum = (objects: { size: number }[]) => objects.reduce((total, o) => total + o.size, 0);
  const excluded = sourceObjects.filter((o) => matchExclusion(exclusions, o.key));
  ctx.report.images = {
    sourceObjects: sourceObjects.length,
    sourceBytes: sum(sourceObjects),
    targetObjects: targetObjects.length,
    targetBytes: sum(targetObjects),
    excludedObjects: excluded.length,
    excludedBytes: sum(excluded),
    candidateObjects: sourceObjects.length - excluded.length,
    candidateBytes: sum(sourceObjects) - sum(excluded),
  };
  const r = ctx.report.images;
  return (
    `${source.name}: ${formatCount(r.sourceObjects)} objects (${formatBytes(r.sourceBytes)}), ` +
    `${formatCount(r.excludedObjects)} excluded; ${target.name}: ${formatCount(r.targetObjects)} objects (${formatBytes(r.targetBytes)})`
  );
}
