import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { compareKeys } from './merge.js';

export interface ObjectEntry {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
}

function toEntry(o: { Key?: string; Size?: number; ETag?: string; LastModified?: Date }): ObjectEntry {
  return { key: o.Key!, size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified?.getTime() ?? 0 };
}

/** The pages of every object under `prefix` (1,000 keys a request), in the server's order. */
export async function* listPages(client: S3Client, bucket: string, prefix?: string, startAfter?: string): AsyncGenerator<ObjectEntry[]> {
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
    yield (page.Contents ?? []).map(toEntry);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Every object under `prefix`, page by page (1,000 keys a request). */
export async function listAllObjects(client: S3Client, bucket: string, prefix?: string, startAfter?: string): Promise<ObjectEntry[]> {
  const objects: ObjectEntry[] = [];
  for await (const page of listPages(client, bucket, prefix, startAfter)) for (const o of page) objects.push(o);
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

  const top = (await listTopLevel(client, bucket))!;
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
  const chains = top.prefixes.filter((p) => !(compareKeys(p, last) < 0 && !last.startsWith(p)));
  const perPrefix = await mapLimit(chains, maxChains, (prefix) =>
    listAllObjects(client, bucket, prefix, last.startsWith(prefix) ? last : undefined),
  );
  const byKey = new Map<string, ObjectEntry>();
  for (const o of [...firstKeys, ...top.directObjects, ...perPrefix.flat()]) byKey.set(o.key, o);
  return { objects: [...byKey.values()], how: `${top.prefixes.length} top-level prefixes in parallel` };
}

async function listTopLevel(client: S3Client, bucket: string, maxDirect = Infinity) {
  const prefixes = new Set<string>();
  const directObjects: ObjectEntry[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', ContinuationToken: token, MaxKeys: 1000 }),
    );
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) prefixes.add(p.Prefix);
    for (const o of page.Contents ?? []) directObjects.push(toEntry(o));
    // A mostly flat bucket has little to fan out: stop before holding its keys in memory.
    if (directObjects.length > maxDirect) return undefined;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { prefixes: [...prefixes], directObjects, direct: new Set(directObjects.map((o) => o.key)) };
}

/** How a streamed listing went, filled in as it goes (for the log). */
export interface StreamInfo {
  how: string;
}

/** Top-level keys held by the delimiter listing: past this many, a bucket is streamed serially. */
const MAX_DIRECT_KEYS = 10_000;
/** Pages each prefix chain may fetch ahead of the merge. */
const PAGES_AHEAD = 2;

/**
 * Every object of a bucket as pages in S3's order (UTF-8 binary), for a merge with another
 * listing: the same requests as `listBucket` (one page, or one chain per top-level prefix, up to
 * `maxChains` at a time), but each chain fetches only a few pages ahead of the consumer, so
 * memory does not grow with the bucket. The order is the server's: the consumer checks it.
 */
export async function* streamBucket(client: S3Client, bucket: string, info: StreamInfo, maxChains = 16): AsyncGenerator<ObjectEntry[]> {
  const first = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
  const firstKeys = (first.Contents ?? []).map(toEntry);
  info.how = 'one page';
  yield firstKeys;
  if (!first.IsTruncated || firstKeys.length === 0) return;

  const last = firstKeys.at(-1)!.key;
  const top = await listTopLevel(client, bucket, MAX_DIRECT_KEYS);
  const covered = (key: string) => top!.direct.has(key) || top!.prefixes.some((p) => key.startsWith(p));
  if (!top || top.prefixes.length < 2 || !firstKeys.every((o) => covered(o.key))) {
    // Nothing to gain from a fan-out, or the server's CommonPrefixes cannot be trusted.
    info.how = 'serially';
    yield* listPages(client, bucket, undefined, last);
    return;
  }
  info.how = `${top.prefixes.length} top-level prefixes in parallel`;
  // The first page holds every key up to `last`. What follows it, in S3's order: the prefixes
  // not entirely before `last` (the one holding it continues after it) and the top-level keys
  // after it. A top-level key (no `/`) sorts against a prefix as against every key under it.
  const after = (key: string) => compareKeys(key, last) > 0;
  type Segment = { prefix: string } | { objects: ObjectEntry[] };
  const entries: { key: string; segment: Segment }[] = [
    ...top.prefixes.filter((p) => after(p) || last.startsWith(p)).map((prefix) => ({ key: prefix, segment: { prefix } })),
    ...top.directObjects.filter((o) => after(o.key)).map((o) => ({ key: o.key, segment: { objects: [o] } })),
  ].sort((a, b) => compareKeys(a.key, b.key));
  const segments: Segment[] = [];
  for (const { segment } of entries) {
    const previous = segments.at(-1);
    if ('objects' in segment && previous && 'objects' in previous) previous.objects.push(...segment.objects);
    else segments.push(segment);
  }
  const chains: (AsyncIterable<ObjectEntry[]> | undefined)[] = [];
  let started = 0;
  const startNext = () => {
    if (started >= segments.length) return;
    const segment = segments[started]!;
    chains[started++] =
      'objects' in segment
        ? (async function* () {
            yield segment.objects;
          })()
        : readAhead(listPages(client, bucket, segment.prefix, last.startsWith(segment.prefix) ? last : undefined), PAGES_AHEAD);
  };
  for (let i = 0; i < maxChains; i++) startNext();
  for (let i = 0; i < segments.length; i++) {
    for await (const page of chains[i]!) yield page;
    chains[i] = undefined;
    startNext();
  }
}

/** Runs `pages` ahead of its consumer, holding at most `limit` pages not yet taken. */
export function readAhead<T>(pages: AsyncIterable<T>, limit: number): AsyncIterable<T> {
  const buffer: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = () => {
    wakeConsumer?.();
    wakeConsumer = undefined;
  };
  void (async () => {
    try {
      for await (const page of pages) {
        buffer.push(page);
        wake();
        while (buffer.length >= limit) await new Promise<void>((resolve) => (wakeProducer = resolve));
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake();
    }
  })();
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (buffer.length > 0) {
          yield buffer.shift()!;
          wakeProducer?.();
          wakeProducer = undefined;
          continue;
        }
        if (failure) throw failure.error;
        if (finished) return;
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
      }
    },
  };
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
