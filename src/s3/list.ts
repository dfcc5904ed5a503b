import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { listedEntries } from './list-parse.js';
import { boundsAfter, cutBetween } from './key-ranges.js';
import { compareKeys, ListingOrderError } from './merge.js';

export interface ObjectEntry {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
}

function toEntry(o: { Key?: string; Size?: number; ETag?: string; LastModified?: Date }): ObjectEntry {
  return { key: o.Key!, size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified?.getTime() ?? 0 };
}

/** A page's objects: as read by the client's fast reader (client.ts), else from the SDK's output. */
function entriesOf(page: ListObjectsV2CommandOutput): ObjectEntry[] {
  return listedEntries(page) ?? (page.Contents ?? []).map(toEntry);
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
    yield entriesOf(page);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * The first page that holds keys, or the last page. S3 may answer fewer keys than asked for, even
 * none with more to come (IsTruncated): stopping there would take a bucket for empty.
 */
async function firstPage(client: S3Client, bucket: string): Promise<{ keys: ObjectEntry[]; truncated: boolean }> {
  let token: string | undefined;
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000, ContinuationToken: token }));
    const keys = entriesOf(page);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (keys.length > 0 || !token) return { keys, truncated: token !== undefined };
  }
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
  const first = await firstPage(client, bucket);
  const firstKeys = first.keys;
  if (!first.truncated) return { objects: firstKeys, how: 'one page' };

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
    for (const o of entriesOf(page)) directObjects.push(o);
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

export interface StreamOptions {
  side: 'source' | 'target';
  /** Cut the key space into ranges (StartAfter): only for a store known to list in S3's order. */
  keyRanges: boolean;
  maxChains?: number;
}

/** Top-level keys held by the delimiter listing: past this many, a bucket is streamed serially. */
const MAX_DIRECT_KEYS = 10_000;
/** Pages each chain may fetch ahead of the merge. */
const PAGES_AHEAD = 4;

/** Keys `after < key <= upTo` (no `upTo`: to the end), listed by one chain of requests. */
interface KeyRange {
  after: string;
  upTo: string | undefined;
  pages: ObjectEntry[][];
  started: boolean;
  done: boolean;
  failure?: { error: unknown };
  wakeChain?: () => void;
}

const keyRange = (after: string, upTo: string | undefined): KeyRange => ({ after, upTo, pages: [], started: false, done: false });

/**
 * Every object of a bucket as pages in S3's order (UTF-8 binary), for a merge with another
 * listing. After the first page, the rest of the key space is cut into ranges listed at once
 * (StartAfter), up to `maxChains` chains of requests at a time: first along the last key's path
 * (`books/1899/…` → up to `books/1:`, then `books/:`, …), then, while there is room, a chain
 * that has more to list after a page hands the upper half of its range to a new chain. So one
 * huge prefix is not one long serial chain of 1,000-key pages. Each chain fetches only a few
 * pages ahead of the consumer: memory does not grow with the bucket.
 *
 * The cuts rely on S3's order, so they are only made for Amazon S3 (`opts.keyRanges`, see
 * `listsInS3Order`); other stores are listed by prefix (`streamByPrefix`). Every page is still
 * checked (increasing, after its range's start): a page out of order throws `ListingOrderError`,
 * and the caller falls back to the in-memory diff.
 */
export async function* streamBucket(client: S3Client, bucket: string, info: StreamInfo, opts: StreamOptions): AsyncGenerator<ObjectEntry[]> {
  const maxChains = opts.maxChains ?? 16;
  const first = await firstPage(client, bucket);
  const firstKeys = first.keys;
  info.how = 'one page';
  if (!first.truncated) {
    yield firstKeys;
    return;
  }
  if (!opts.keyRanges) {
    yield firstKeys;
    yield* streamByPrefix(client, bucket, info, firstKeys, maxChains);
    return;
  }
  const last = firstKeys.at(-1)!.key;
  const bounds = boundsAfter(firstKeys[0]!.key, last, maxChains - 1);
  const ranges = [last, ...bounds].map((after, i) => keyRange(after, bounds[i]));
  let running = 0;
  let waiting = ranges.length;
  let listed = 0;
  let wakeConsumer: (() => void) | undefined;
  const wake = () => {
    wakeConsumer?.();
    wakeConsumer = undefined;
  };
  const startMore = () => {
    for (const range of ranges) {
      if (running >= maxChains) return;
      if (!range.started) {
        range.started = true;
        running++;
        waiting--;
        void chain(range);
      }
    }
  };
  /** The chain of requests of one range; cuts its range for new chains while there is room. */
  const chain = async (range: KeyRange) => {
    let token: string | undefined;
    let previous = range.after;
    try {
      for (;;) {
        while (range.pages.length >= PAGES_AHEAD) await new Promise<void>((resolve) => (range.wakeChain = resolve));
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, StartAfter: token ? undefined : range.after, MaxKeys: 1000 }),
        );
        const entries = entriesOf(page);
        const kept: ObjectEntry[] = [];
        let beyond = false;
        for (const entry of entries) {
          if (compareKeys(previous, entry.key) >= 0) throw new ListingOrderError(opts.side, previous, entry.key);
          previous = entry.key;
          if (range.upTo !== undefined && compareKeys(entry.key, range.upTo) > 0) beyond = true;
          else kept.push(entry);
        }
        if (kept.length > 0) {
          range.pages.push(kept);
          wake();
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (beyond || !token) break;
        if (entries.length > 0 && running + waiting < maxChains) cut(range, entries[0]!.key, previous);
      }
    } catch (error) {
      range.failure = { error };
    } finally {
      range.done = true;
      running--;
      wake();
      startMore();
    }
  };
  /** Hands what lies above the range's upper part to new ranges, listed next to it. */
  const cut = (range: KeyRange, pageFirst: string, listedTo: string) => {
    const cuts =
      range.upTo === undefined ? boundsAfter(pageFirst, listedTo, maxChains - running - waiting) : [cutBetween(listedTo, range.upTo)].filter((c) => c !== undefined);
    if (cuts.length === 0) return;
    const added = cuts.map((after, i) => keyRange(after, cuts[i + 1] ?? range.upTo));
    range.upTo = cuts[0];
    waiting += added.length;
    ranges.splice(ranges.indexOf(range) + 1, 0, ...added);
    startMore();
  };

  startMore(); // before the first page is handed on, so the next requests are already out
  yield firstKeys;
  // Ranges are consumed from the front; new ones are only ever added after a running one.
  while (ranges.length > 0) {
    const range = ranges[0]!;
    for (;;) {
      if (range.pages.length > 0) {
        const page = range.pages.shift()!;
        range.wakeChain?.();
        range.wakeChain = undefined;
        yield page;
        continue;
      }
      if (range.failure) throw range.failure.error;
      if (range.done) break;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
    ranges.shift();
    info.how = `${++listed} key ranges, up to ${maxChains} listed at a time`;
  }
}

/**
 * The rest of a listing after its first page, for a store that may list in another order than
 * S3: the same requests as `listBucket` (one chain per top-level prefix, up to `maxChains` at a
 * time, or one serial chain), each fetching only a few pages ahead of the consumer. The order is
 * the server's: the consumer checks it.
 */
async function* streamByPrefix(client: S3Client, bucket: string, info: StreamInfo, firstKeys: ObjectEntry[], maxChains: number): AsyncGenerator<ObjectEntry[]> {
  const last = firstKeys.at(-1)!.key;
  const top = await listTopLevel(client, bucket, MAX_DIRECT_KEYS);
  const covered = (key: string) => top!.direct.has(key) || top!.prefixes.some((p) => key.startsWith(p));
  if (!top || top.prefixes.length < 2 || !firstKeys.every((o) => covered(o.key))) {
    // Nothing to gain from a fan-out, or the server's CommonPrefixes cannot be trusted.
    info.how = 'serially';
    // Fetched ahead of the merge, so the two sides' round trips overlap instead of taking turns.
    yield* readAhead(listPages(client, bucket, undefined, last), PAGES_AHEAD);
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
