import { matchExclusion, type ExclusionRule } from './exclusions.js';
import type { ObjectEntry } from './list.js';

export type CopyReason = 'missing' | 'size differs' | 'content differs' | 'newer in source';

export interface CopyItem {
  source: ObjectEntry;
  reason: CopyReason;
}

/** What a refresh has to do, worked out from the two listings alone (no I/O). */
export interface ImagesDiff {
  toCopy: CopyItem[];
  /** Source objects already identical in the target. */
  toSkip: ObjectEntry[];
  /** Source objects matched by an exclusion: never copied. */
  excluded: ObjectEntry[];
  /** Target objects the source lacks and no exclusion protects (deleted only with `delete: true`). */
  targetOnly: ObjectEntry[];
  /** Target objects the source lacks but an exclusion protects: never deleted. */
  targetOnlyExcluded: ObjectEntry[];
}

/** A plain ETag is the MD5 of the bytes; multipart (`…-N`) and SSE-KMS ETags are not comparable. */
export function isPlainMd5Etag(etag: string): boolean {
  return /^"?[0-9a-fA-F]{32}"?$/.test(etag);
}

const normalizeEtag = (etag: string) => etag.replace(/"/g, '').toLowerCase();

/**
 * Why `source` must be copied over `target`, or undefined when the target already holds it:
 * copy when missing, when the sizes differ, or when both ETags are plain MD5s and differ;
 * when the ETags cannot be compared, copy when the source is newer than the target.
 */
export function copyReason(source: ObjectEntry, target: ObjectEntry | undefined): CopyReason | undefined {
  if (!target) return 'missing';
  if (source.size !== target.size) return 'size differs';
  if (isPlainMd5Etag(source.etag) && isPlainMd5Etag(target.etag)) {
    return normalizeEtag(source.etag) === normalizeEtag(target.etag) ? undefined : 'content differs';
  }
  return source.lastModified > target.lastModified ? 'newer in source' : undefined;
}

export function diffBuckets(source: readonly ObjectEntry[], target: readonly ObjectEntry[], exclusions: readonly ExclusionRule[]): ImagesDiff {
  const targetByKey = new Map(target.map((o) => [o.key, o]));
  const sourceKeys = new Set<string>();
  const diff: ImagesDiff = { toCopy: [], toSkip: [], excluded: [], targetOnly: [], targetOnlyExcluded: [] };
  for (const object of source) {
    sourceKeys.add(object.key);
    if (matchExclusion(exclusions, object.key)) {
      diff.excluded.push(object);
      continue;
    }
    const reason = copyReason(object, targetByKey.get(object.key));
    if (reason) diff.toCopy.push({ source: object, reason });
    else diff.toSkip.push(object);
  }
  for (const object of target) {
    if (sourceKeys.has(object.key)) continue;
    if (matchExclusion(exclusions, object.key)) diff.targetOnlyExcluded.push(object);
    else diff.targetOnly.push(object);
  }
  return diff;
}

export const totalBytes = (objects: readonly { size: number }[]): number => objects.reduce((sum, o) => sum + o.size, 0);
