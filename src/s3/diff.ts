import { CopyList } from './copy-list.js';
import { matchExclusion, type ExclusionRule } from './exclusions.js';
import { ObjectTally } from './tally.js';
import type { ObjectEntry } from './list.js';

export type CopyReason = 'missing' | 'size differs' | 'content differs' | 'newer in source';

export interface CopyItem {
  source: ObjectEntry;
  /** The target's object of the same key, when there is one. */
  target?: ObjectEntry;
  reason: CopyReason;
}

/**
 * Target objects the source lacks: all counted, kept (to be deleted) only up to `keep`. With
 * `delete: false` none is deleted, and past `max-delete` the run is refused: either way only the
 * count, the bytes and the first keys are needed, so memory does not grow with a large staging bucket.
 */
export class DeleteCandidates extends ObjectTally {
  readonly objects: ObjectEntry[] = [];

  constructor(private readonly keep = Infinity) {
    super();
  }

  override add(object: ObjectEntry): void {
    super.add(object);
    if (this.objects.length < this.keep) this.objects.push(object);
  }
}

/** What a refresh has to do, worked out from the two listings alone (no I/O). */
export interface ImagesDiff {
  /** In memory, or in a local file when a Batch Operations job will copy many (`CopyList`). */
  toCopy: CopyList;
  /** Source objects already identical in the target. */
  toSkip: ObjectTally;
  /** Source objects matched by an exclusion: never copied. */
  excluded: ObjectTally;
  /** Target objects the source lacks and no exclusion protects (deleted only with `delete: true`). */
  targetOnly: DeleteCandidates;
  /** Target objects the source lacks but an exclusion protects: never deleted. */
  targetOnlyExcluded: ObjectTally;
}

/** The same diff with every object kept: what `diffBuckets` returns from two listings held in memory. */
export interface InMemoryDiff {
  toCopy: CopyItem[];
  toSkip: ObjectEntry[];
  excluded: ObjectEntry[];
  targetOnly: ObjectEntry[];
  targetOnlyExcluded: ObjectEntry[];
}

/** What a diff keeps beyond counts: where the objects to copy go, how many delete candidates are kept. */
export interface KeepOptions {
  toCopy?: CopyList;
  /** Default: all. */
  deleteCandidates?: number;
}

/** Keeps what the refresh needs of an in-memory diff and counts the rest. */
export function tallied(diff: InMemoryDiff, keep: KeepOptions = {}): ImagesDiff {
  const toCopy = keep.toCopy ?? new CopyList();
  const tally = <T extends ObjectTally>(objects: readonly ObjectEntry[], result: T = new ObjectTally() as T) => {
    for (const object of objects) result.add(object);
    return result;
  };
  for (const item of diff.toCopy) toCopy.add(item);
  return {
    toCopy,
    toSkip: tally(diff.toSkip),
    excluded: tally(diff.excluded),
    targetOnly: tally(diff.targetOnly, new DeleteCandidates(keep.deleteCandidates)),
    targetOnlyExcluded: tally(diff.targetOnlyExcluded),
  };
}

/**
 * An ETag that looks like the MD5 of the bytes: 32 hex digits. Multipart ETags (`…-N`) are not;
 * SSE-KMS and SSE-C ETags look like one but are not MD5s either, which only a HEAD tells
 * (`etagIsContentMd5`).
 */
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
  // The common case, decided without normalising: the same plain MD5 on both sides.
  if (source.etag === target.etag && isPlainMd5Etag(source.etag)) return undefined;
  if (isPlainMd5Etag(source.etag) && isPlainMd5Etag(target.etag)) {
    return normalizeEtag(source.etag) === normalizeEtag(target.etag) ? undefined : 'content differs';
  }
  return source.lastModified > target.lastModified ? 'newer in source' : undefined;
}

/**
 * The diff of two listings held in memory, in any order. The images step streams instead
 * (`mergeListings`) and uses this only when a listing is not in S3's order.
 */
export function diffBuckets(source: readonly ObjectEntry[], target: readonly ObjectEntry[], exclusions: readonly ExclusionRule[]): InMemoryDiff {
  const targetByKey = new Map(target.map((o) => [o.key, o]));
  const sourceKeys = new Set<string>();
  const diff: InMemoryDiff = { toCopy: [], toSkip: [], excluded: [], targetOnly: [], targetOnlyExcluded: [] };
  for (const object of source) {
    sourceKeys.add(object.key);
    if (matchExclusion(exclusions, object.key)) {
      diff.excluded.push(object);
      continue;
    }
    const targetObject = targetByKey.get(object.key);
    const reason = copyReason(object, targetObject);
    if (reason) diff.toCopy.push({ source: object, target: targetObject, reason });
    else diff.toSkip.push(object);
  }
  for (const object of target) {
    if (sourceKeys.has(object.key)) continue;
    if (matchExclusion(exclusions, object.key)) diff.targetOnlyExcluded.push(object);
    else diff.targetOnly.push(object);
  }
  return diff;
}

/** What a HEAD tells about one object: its encryption and its checksums (`ChecksumMode: ENABLED`). */
export interface ObjectFacts {
  /** `ServerSideEncryption`: `AES256`, `aws:kms`, `aws:kms:dsse`. */
  encryption?: string;
  /** Encrypted with a customer-provided key (SSE-C): `SSECustomerAlgorithm`, or a HEAD refused for want of that key. */
  customerKey?: boolean;
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
  /** `FULL_OBJECT` or `COMPOSITE` (a checksum of the parts' checksums). */
  checksumType?: string;
}

export const CHECKSUM_ALGORITHMS = ['CRC64NVME', 'CRC32C', 'CRC32', 'SHA256', 'SHA1'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** S3 sets the ETag to the MD5 of the bytes only for objects not encrypted with KMS or a customer key. */
export function etagIsContentMd5(facts: ObjectFacts): boolean {
  return !facts.customerKey && !(facts.encryption ?? '').startsWith('aws:kms');
}

/**
 * A checksum of the whole content both objects carry with the same algorithm: equal checksums
 * mean equal bytes. Composite checksums (`…-N`) depend on the part sizes, so they are not used.
 */
export function sameChecksum(source: ObjectFacts, target: ObjectFacts): boolean | undefined {
  const whole = (facts: ObjectFacts, algorithm: ChecksumAlgorithm) => {
    const value = facts.checksums?.[algorithm];
    return value && facts.checksumType !== 'COMPOSITE' && !/-\d+$/.test(value) ? value : undefined;
  };
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const [a, b] = [whole(source, algorithm), whole(target, algorithm)];
    if (a && b) return a === b;
  }
  return undefined;
}

/**
 * The verdict on an object the listings say differs in content (same size, different 32-hex
 * ETags), once both sides' HEADs are known (undefined: the HEAD failed). Equal checksums settle
 * it either way; two MD5 ETags do too; an SSE-KMS or SSE-C ETag says nothing about the bytes, so
 * the object is copied only when the source's is newer, as for multipart ETags.
 */
export function recheckedReason(item: CopyItem & { target: ObjectEntry }, source: ObjectFacts | undefined, target: ObjectFacts | undefined): CopyReason | undefined {
  if (!source || !target) return item.reason;
  const checksum = sameChecksum(source, target);
  if (checksum !== undefined) return checksum ? undefined : 'content differs';
  if (etagIsContentMd5(source) && etagIsContentMd5(target)) return 'content differs';
  return item.source.lastModified > item.target.lastModified ? 'newer in source' : undefined;
}

/** Objects whose ETags differ while both look like MD5s: the ones a HEAD may show to be identical. */
export function needsRecheck(item: CopyItem): item is CopyItem & { target: ObjectEntry } {
  return item.reason === 'content differs' && item.target !== undefined;
}

export const totalBytes = (objects: readonly { size: number }[]): number => objects.reduce((sum, o) => sum + o.size, 0);
