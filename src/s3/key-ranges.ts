/**
 * Where to cut a bucket's key space so several listing chains can run at once (ListObjectsV2
 * with StartAfter), without knowing the keys in advance. S3 orders keys by their UTF-8 bytes,
 * which is the order of their code points, so the cuts are made on code points.
 *
 * Pure functions: the listing (list.ts) decides when to cut, these say where.
 */

const codePoints = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);
const fromCodePoints = (points: readonly number[]): string => String.fromCodePoint(...points);

const DIGITS: readonly [number, number] = [0x30, 0x39];
const LOWER: readonly [number, number] = [0x61, 0x7a];
const UPPER: readonly [number, number] = [0x41, 0x5a];

/**
 * The first code point after the run of characters `point` belongs to: after the digits for
 * a digit (keys numbered `books/1899/` continue with `books/2…` up to `books/9…`), after the
 * letters of its case for a letter, the next code point for anything else.
 */
function endOfClass(point: number): number | undefined {
  for (const [first, last] of [DIGITS, LOWER, UPPER]) if (point >= first && point <= last) return last + 1;
  if (point === 0xd7ff) return 0xe000; // surrogates are not characters
  return point < 0x10ffff ? point + 1 : undefined;
}

/** A code point strictly between `low` and `high` (not a surrogate), about halfway; or undefined. */
function between(low: number, high: number): number | undefined {
  if (high - low < 2) return undefined;
  const middle = low + ((high - low) >> 1);
  if (middle < 0xd800 || middle > 0xdfff) return middle;
  // Surrogates are not characters: take the nearest side that is still strictly between.
  if (low < 0xd7ff) return 0xd7ff;
  if (high > 0xe000) return 0xe000;
  return undefined;
}

/**
 * A key `m` with `after < m < upTo` that cuts the range (after, upTo] of a listing that has
 * reached `after` about in two; undefined when there is no room between them. Where the two
 * keys first differ by more than one code point, the cut is halfway between (`books/2…` and
 * `books/:` → `books/6`); where they differ by one (`b…` and `c`), the cut follows `after` one
 * character deeper, halfway to the end of that character's class.
 */
export function cutBetween(after: string, upTo: string): string | undefined {
  const a = codePoints(after);
  const b = codePoints(upTo);
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  if (p >= b.length) return undefined; // upTo is a prefix of after: nothing lies between
  const low = p < a.length ? a[p]! : -1;
  const here = between(low, b[p]!);
  if (here !== undefined) return fromCodePoints([...a.slice(0, p), here]);
  if (low < 0) return undefined;
  // Everything after `after` that shares its first p + 1 characters is still below `upTo`.
  for (let q = p + 1; q < a.length; q++) {
    const end = endOfClass(a[q]!);
    const deeper = end === undefined ? undefined : between(a[q]!, end);
    if (deeper !== undefined) return fromCodePoints([...a.slice(0, q), deeper]);
  }
  return undefined;
}

/**
 * Upper bounds for the rest of a listing that has no end yet, from its last page: one per
 * level of the last key's path, from the deepest to the first character, each the end of its
 * character's class at that level (`books/1899/c…` gives `books/1:`, `books/:`, `books0`, …).
 * Keys in S3 cluster under the last key's prefixes, so these ranges, listed at once, each hold
 * a share of what follows; the ones that turn out empty cost one request each. Only levels down
 * to where the page's own keys differ (`first` against `last`) are used, at most `max`, the
 * deepest first; the range after the last bound has no end.
 */
export function boundsAfter(first: string, last: string, max: number): string[] {
  const f = codePoints(first);
  const l = codePoints(last);
  let common = 0;
  while (common < f.length && common < l.length && f[common] === l[common]) common++;
  const bounds: string[] = [];
  for (let q = Math.min(common, l.length - 1); q >= 0 && bounds.length < max; q--) {
    const end = endOfClass(l[q]!);
    if (end !== undefined) bounds.push(fromCodePoints([...l.slice(0, q), end]));
  }
  return bounds;
}

/**
 * True when the store is Amazon S3 itself (no `s3-endpoint`, or one of its own hosts: FIPS,
 * dual-stack, VPC endpoints), whose listing order is documented as UTF-8 binary. Ranges listed
 * from StartAfter are only exact in that order: a store that orders keys otherwise (s3rver lists
 * `a.jpg` after `a/b.jpg`) could leave keys in no range, so it is listed by prefix instead.
 */
export function listsInS3Order(endpoint: string | undefined): boolean {
  if (!endpoint) return true;
  try {
    return /(^|\.)amazonaws\.com(\.cn)?$/.test(new URL(endpoint).hostname);
  } catch {
    return false;
  }
}
