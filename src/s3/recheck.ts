import { HeadObjectCommand, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { BucketRef } from './copy.js';
import { CHECKSUM_ALGORITHMS, etagIsContentMd5, needsRecheck, recheckedReason, type CopyItem, type ImagesDiff, type ObjectFacts } from './diff.js';
import { mapLimit } from './list.js';
import { withS3Retry } from './retry.js';

export interface RecheckOutcome {
  /** Objects whose ETags differed while both looked like MD5s, each HEADed on both sides. */
  checked: number;
  /** HEAD requests made (two per object checked). */
  requests: number;
  /** Of those, found identical after all (equal checksums, or KMS/SSE-C ETags and not newer). */
  identical: number;
  /** Of those, with an ETag that is not the MD5 of the bytes (SSE-KMS, SSE-C) on either side. */
  notMd5: number;
}

/** Objects read from the list at a time: the HEADs of one window run in parallel, and the list keeps its order. */
const WINDOW_OBJECTS = 10_000;

/**
 * A listing cannot tell an SSE-KMS or SSE-C ETag from an MD5: both are 32 hex digits, so every
 * such object would be copied again on every run. Only the objects the listings say differ in
 * content are HEADed (source and target, with checksums), and moved to the skipped ones when the
 * HEADs show they are the same. The list is read a window at a time (it may be on disk) and
 * replaced in `diff` by the objects still to copy, in the same order.
 */
export async function recheckDifferingEtags(diff: ImagesDiff, from: BucketRef, to: BucketRef, concurrency: number): Promise<RecheckOutcome> {
  const listed = diff.toCopy;
  const candidates = listed.byReason['content differs'];
  const outcome: RecheckOutcome = { checked: candidates, requests: candidates * 2, identical: 0, notMd5: 0 };
  if (candidates === 0) return outcome;

  const stillToCopy = listed.emptyLike();
  let window: CopyItem[] = [];
  const settle = async () => {
    const verdicts = await mapLimit(window, concurrency, async (item) => {
      if (!needsRecheck(item)) return item.reason;
      const [source, target] = await Promise.all([headFacts(from, item.source.key), headFacts(to, item.target.key)]);
      if ([source, target].some((facts) => facts && !etagIsContentMd5(facts))) outcome.notMd5++;
      return recheckedReason(item, source, target);
    });
    window.forEach((item, i) => {
      const reason = verdicts[i];
      if (reason) stillToCopy.add(reason === item.reason ? item : { ...item, reason });
      else {
        diff.toSkip.push(item.source);
        outcome.identical++;
      }
    });
    window = [];
  };
  try {
    for await (const batch of listed.batches()) {
      for (const item of batch) {
        window.push(item);
        if (window.length >= WINDOW_OBJECTS) await settle();
      }
    }
    await settle();
  } catch (error) {
    stillToCopy.dispose();
    throw error;
  }
  listed.dispose();
  diff.toCopy = stillToCopy;
  return outcome;
}

/** One object's encryption and checksums; undefined when the HEAD failed (the listing's verdict stands). */
async function headFacts(bucket: BucketRef, key: string): Promise<ObjectFacts | undefined> {
  let head: HeadObjectCommandOutput;
  try {
    head = await withS3Retry(() => bucket.client.send(new HeadObjectCommand({ Bucket: bucket.bucket, Key: key, ChecksumMode: 'ENABLED' })));
  } catch (error) {
    // S3 answers a HEAD without the customer key of an SSE-C object with 400 Bad Request.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 400) return { customerKey: true };
    return undefined;
  }
  const checksums: ObjectFacts['checksums'] = {};
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = head[`Checksum${algorithm}`];
    if (value) checksums[algorithm] = value;
  }
  return {
    encryption: head.ServerSideEncryption,
    customerKey: head.SSECustomerAlgorithm !== undefined,
    checksums,
    checksumType: head.ChecksumType,
  };
}
