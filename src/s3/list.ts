import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface ObjectEntry {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
}

function toEntry(o: { Key?: string; Size?: number; ETag?: string; LastModified?: Date }): ObjectEntry {
  return { key: o.Key!, size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified?.getTime() ?? 0 };
}

/** Every object under `prefix`, page by page (1,000 keys a request). */
export async function listAllObjects(client: S3Client, bucket: string, prefix?: string, startAfter?: string): Promise<ObjectEntry[]> {
  const objects: ObjectEntry[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
        StartAfter: token ? undefined : startAfter,
        MaxKeys: 1000,
      }),
    );
    for (const o of page.Contents ?? []) objects.push(toEntry(o));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

export interface ListResult {
  objects: ObjectEntry[];
  /** How the listing went, for the log ("3 prefixes in parallel"). */
  how: string;
}

/**
 * Every object of a bucket. A bucket that fits in one page costs one request; a larger one is
 * listed one top-level prefix per chain, all chains at once, so listing a big bucket is not one
 * long serial chain of 1,000-key pages.
 *
 * The fan-out relies on the server's CommonPrefixes. Some S3-compatible servers leave prefixes
 * out, which would silently lose keys, so the first page is used as a witness: when any of its
 * keys is not covered by the delimiter listing, the bucket is listed serially instead.
 */
export async function listBucket(client: S3Client, bucket: string, maxChains = 16): Promise<ListResult> {
  const first = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
  const firstKeys = (first.Contents ?? []).map(toEntry);
  if (!first.IsTruncated) return { objects: firstKeys, how: 'one page' };

  const top = await listTopLevel(client, bucket);
  const covered = (key: string) => top.direct.has(key) || top.prefixes.some((p) => key.startsWith(p));
  if (top.prefixes.length < 2 || !firstKeys.every((o) => covered(o.key))) {
    // Nothing to gain from a fan-out, or the server's CommonPrefixes cannot be trusted.
    const rest = await listAllObjects(client, bucket, undefined, firstKeys.at(-1)!.key);
    return { objects: [...firstKeys, ...rest], how: 'serially' };
  }
  // The first page already holds every key up to its last one: prefixes entirely before that
  // key are complete, the one holding it continues after it, later ones are listed in full.
  const last = firstKeys.at(-1)!.key;
  // S3 orders keys by their UTF-8 bytes (JS strings compare UTF-16 units, which can differ).
  const before = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
  const chains = top.prefixes.filter((p) => !(before(p, last) && !last.startsWith(p)));
  const perPrefix = await mapLimit(chains, maxChains, (prefix) =>
    listAllObjects(client, bucket, prefix, last.startsWith(prefix) ? last : undefined),
  );
  const byKey = new Map<string, ObjectEntry>();
  for (const o of [...firstKeys, ...top.directObjects, ...perPrefix.flat()]) byKey.set(o.key, o);
  return { objects: [...byKey.values()], how: `${top.prefixes.length} top-level prefixes in parallel` };
}

async function listTopLevel(client: S3Client, bucket: string) {
  const prefixes = new Set<string>();
  const directObjects: ObjectEntry[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', ContinuationToken: token, MaxKeys: 1000 }),
    );
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) prefixes.add(p.Prefix);
    for (const o of page.Contents ?? []) directObjects.push(toEntry(o));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { prefixes: [...prefixes], directObjects, direct: new Set(directObjects.map((o) => o.key)) };
}

/**
 * `fn` over `items`, at most `limit` at a time, results in input order. After the first failure
 * no new item is started (the rest is pointless: e.g. parts of an upload about to be aborted),
 * and the failure is thrown once the items already running have ended, so the caller's cleanup
 * (aborting the upload) comes after them.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** Turns SDK errors about a bucket into a sentence that says what to check. */
export function describeBucketError(error: unknown, bucket: string, environment: string, role: 'source' | 'target'): Error {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  if (name === 'NoSuchBucket') {
    return new Error(`${environment}'s bucket \`${bucket}\` does not exist: check \`${role}-bucket\` (this action does not create buckets).`);
  }
  if (['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'].includes(name)) {
    return new Error(`access to ${environment}'s bucket \`${bucket}\` was denied (${name}): check the credentials or role used for ${environment}.`);
  }
  return new Error(`could not read ${environment}'s bucket \`${bucket}\`: ${message}`);
}
