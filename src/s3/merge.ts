import { matchExclusion, type ExclusionRule } from './exclusions.js';
import { CopyList } from './copy-list.js';
import { copyReason, DeleteCandidates, type ImagesDiff, type KeepOptions } from './diff.js';
import { ObjectTally } from './tally.js';
import type { ObjectEntry } from './list.js';

/**
 * The order S3 lists keys in: their UTF-8 bytes, the order `Buffer.compare` gives. JS strings
 * compare UTF-16 code units, which agrees except where a surrogate pair (a code point above
 * U+FFFF) meets a character from U+E000 to U+FFFF: in UTF-8 the pair is the larger. Comparing
 * code units with that one correction gives the byte order without encoding every key (the merge
 * compares tens of millions of them); tested against `Buffer.compare`.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  // Most keys hold no code unit from U+D800 up: the engine's own comparison is then the answer.
  if (!HIGH_UNITS.test(a) && !HIGH_UNITS.test(b)) return a < b ? -1 : 1;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

const HIGH_UNITS = /[\ud800-\uffff]/;

/** Surrogates (0xD800–0xDFFF) moved above 0xE000–0xFFFF; every other code unit keeps its order. */
const utf8Rank = (unit: number) => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

/** A listing page came back out of UTF-8 binary order: a merge would pair the wrong keys. */
export class ListingOrderError extends Error {
  constructor(
    readonly side: 'source' | 'target',
    readonly previous: string,
    readonly key: string,
  ) {
    super(`the ${side} listing returned \`${key}\` after \`${previous}\`, which is not S3's order (UTF-8 binary)`);
    this.name = 'ListingOrderError';
  }
}

export type Pages = AsyncIterable<readonly ObjectEntry[]> | Iterable<readonly ObjectEntry[]>;

/** What a streamed diff found, with the totals of both listings (nothing else of them is kept). */
export interface StreamedDiff extends ImagesDiff {
  sourceObjects: number;
  sourceBytes: number;
  targetObjects: number;
  targetBytes: number;
}

/** Pages of one listing, each checked to continue the strictly increasing order of the ones before. */
class Cursor {
  page: readonly ObjectEntry[] = [];
  index = 0;
  done = false;
  objects = 0;
  bytes = 0;
  private last: string | undefined;
  private readonly pages: AsyncIterator<readonly ObjectEntry[]> | Iterator<readonly ObjectEntry[]>;

  constructor(
    pages: Pages,
    private readonly side: 'source' | 'target',
  ) {
    this.pages = Symbol.asyncIterator in pages ? pages[Symbol.asyncIterator]() : pages[Symbol.iterator]();
  }

  get exhausted(): boolean {
    return this.index >= this.page.length;
  }

  /** Moves to the next non-empty page, or sets `done`. */
  async next(): Promise<void> {
    while (!this.done && this.exhausted) {
      const step = await this.pages.next();
      if (step.done) {
        this.done = true;
        return;
      }
      this.checkOrder(step.value);
      this.page = step.value;
      this.index = 0;
    }
  }

  private checkOrder(page: readonly ObjectEntry[]): void {
    let previous = this.last;
    for (const object of page) {
      if (previous !== undefined && compareKeys(previous, object.key) >= 0) throw new ListingOrderError(this.side, previous, object.key);
      previous = object.key;
      this.objects++;
      this.bytes += object.size;
    }
    this.last = previous;
  }
}

/**
 * The diff of two listings as a merge of two sorted streams: memory holds one page of each side
 * plus what the refresh needs (objects to copy, delete candidates up to `keep.deleteCandidates`);
 * skipped and excluded objects are only counted. The objects to copy are added to `keep.toCopy`
 * (which may write them to disk).
 * Same rules and results as `diffBuckets`; throws `ListingOrderError` when a listing is not in
 * S3's order, so the caller can fall back to the in-memory diff.
 */
export async function mergeListings(sourcePages: Pages, targetPages: Pages, exclusions: readonly ExclusionRule[], keep: KeepOptions = {}): Promise<StreamedDiff> {
  const source = new Cursor(sourcePages, 'source');
  const target = new Cursor(targetPages, 'target');
  const toCopy = keep.toCopy ?? new CopyList();
  const diff: ImagesDiff = {
    toCopy,
    toSkip: new ObjectTally(),
    excluded: new ObjectTally(),
    targetOnly: new DeleteCandidates(keep.deleteCandidates),
    targetOnlyExcluded: new ObjectTally(),
  };

  const onSource = (object: ObjectEntry, targetObject: ObjectEntry | undefined) => {
    if (exclusions.length > 0 && matchExclusion(exclusions, object.key)) {
      diff.excluded.add(object);
      return;
    }
    const reason = copyReason(object, targetObject);
    if (reason) toCopy.add({ source: object, target: targetObject, reason });
    else diff.toSkip.add(object);
  };
  const onTargetOnly = (object: ObjectEntry) => {
    if (exclusions.length > 0 && matchExclusion(exclusions, object.key)) diff.targetOnlyExcluded.add(object);
    else diff.targetOnly.add(object);
  };

  for (;;) {
    // Both sides' next pages are awaited together, so neither listing waits for the other.
    if (source.exhausted || target.exhausted) await Promise.all([source.exhausted && source.next(), target.exhausted && target.next()]);
    if (source.done && target.done) break;
    if (target.done) {
      for (; source.index < source.page.length; source.index++) onSource(source.page[source.index]!, undefined);
      continue;
    }
    if (source.done) {
      for (; target.index < target.page.length; target.index++) onTargetOnly(target.page[target.index]!);
      continue;
    }
    // Both sides hold a page: merge until one of them runs out (no await in here).
    const sourcePage = source.page;
    const targetPage = target.page;
    let i = source.index;
    let j = target.index;
    while (i < sourcePage.length && j < targetPage.length) {
      const s = sourcePage[i]!;
      const t = targetPage[j]!;
      const order = compareKeys(s.key, t.key);
      if (order < 0) {
        onSource(s, undefined);
        i++;
      } else if (order > 0) {
        onTargetOnly(t);
        j++;
      } else {
        onSource(s, t);
        i++;
        j++;
      }
    }
    source.index = i;
    target.index = j;
  }
  return { ...diff, sourceObjects: source.objects, sourceBytes: source.bytes, targetObjects: target.objects, targetBytes: target.bytes };
}
