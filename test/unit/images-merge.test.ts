import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyList } from '../../src/s3/copy-list.js';
import { diffBuckets, tallied, type ImagesDiff } from '../../src/s3/diff.js';
import { deleteGuardProblem } from '../../src/s3/inspect.js';
import { compileExclusion, compileExclusions, parseExclusions } from '../../src/s3/exclusions.js';
import type { ObjectEntry } from '../../src/s3/list.js';
import { compareKeys, ListingOrderError, mergeListings, type StreamedDiff } from '../../src/s3/merge.js';

const MD5_A = '"0cc175b9c0f1b6a831c399e269772661"';
const MD5_B = '"92eb5ffee6ae2fec3ad71c777531578f"';
const entry = (key: string, over: Partial<ObjectEntry> = {}): ObjectEntry => ({ key, size: 10, etag: MD5_A, lastModified: 1000, ...over });
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const bySort = (objects: ObjectEntry[]) => [...objects].sort((a, b) => utf8Order(a.key, b.key));
const pages = (objects: readonly ObjectEntry[], size: number) => {
  const result: ObjectEntry[][] = [];
  for (let i = 0; i < objects.length; i += size) result.push(objects.slice(i, i + size));
  return result;
};
async function* slowly(list: ObjectEntry[][]) {
  for (const page of list) {
    await new Promise((resolve) => setImmediate(resolve));
    yield page;
  }
}

/** Everything a user sees of a diff: what is copied and why, what is deleted, the counts, bytes and sample keys. */
const visible = async (diff: ImagesDiff) => ({
  toCopy: (await diff.toCopy.toArray()).map((i) => `${i.source.key} ${i.reason} ${i.target?.key ?? '-'}`),
  copyTally: { length: diff.toCopy.length, bytes: diff.toCopy.bytes, keys: diff.toCopy.keys },
  targetOnly: diff.targetOnly.objects.map((o) => o.key),
  tallies: [diff.toSkip, diff.excluded, diff.targetOnly, diff.targetOnlyExcluded].map((t) => ({ length: t.length, bytes: t.bytes, keys: t.keys })),
});

// U+1F600 is a surrogate pair in UTF-16 (0xD83D 0xDE00): JS string order puts it before U+FF01,
// UTF-8 (S3's order) after it.
const EMOJI = 'books/\u{1F600}.jpg';
const FULLWIDTH = 'books/\uFF01.jpg';

describe('the streamed diff', () => {
  it('compares keys in UTF-8 byte order, not UTF-16 order', () => {
    expect(EMOJI < FULLWIDTH).toBe(true); // what a JS comparison says
    expect(compareKeys(EMOJI, FULLWIDTH)).toBeGreaterThan(0); // what S3 says
    expect(compareKeys('a.jpg', 'a/b.jpg')).toBeLessThan(0);
    expect(compareKeys('a', 'a/')).toBeLessThan(0);
    expect(compareKeys('é', 'é')).toBe(0);
    const alphabet = ['a', '/', '.', 'é', '\u00ff', '\u0800', '\ud7ff', '\ue000', '\uff01', '\uffff', '\u{10000}', '\u{1F600}', '\u{10FFFF}'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const word = () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let i = 0; i < 5000; i++) {
      const [a, b] = [word(), word()];
      expect(Math.sign(compareKeys(a, b)), `${a} vs ${b}`).toBe(Math.sign(utf8Order(a, b)));
    }
  });

  it('pairs keys whose UTF-16 and UTF-8 orders differ (a JS-order merge would copy both again)', async () => {
    const source = bySort([entry(EMOJI), entry(FULLWIDTH), entry('books/z.jpg')]);
    expect(source.map((o) => o.key)).toEqual(['books/z.jpg', FULLWIDTH, EMOJI]);
    const target = bySort([entry(EMOJI), entry(FULLWIDTH, { etag: MD5_B }), entry('old/\u{1F600}')]);
    const diff = await mergeListings([source], pages(target, 1), []);
    expect((await diff.toCopy.toArray()).map((i) => [i.source.key, i.reason])).toEqual([
      ['books/z.jpg', 'missing'],
      [FULLWIDTH, 'content differs'],
    ]);
    expect(diff.toSkip.keys).toEqual([EMOJI]);
    expect(diff.targetOnly.objects.map((o) => o.key)).toEqual(['old/\u{1F600}']);
    expect(await visible(diff)).toEqual(await visible(tallied(diffBuckets(source, target, []))));
  });

  it('counts skipped and excluded objects without keeping them, and totals both listings', async () => {
    const rules = parseExclusions('lambda/\n**/*.tmp').map(compileExclusion);
    const source = bySort([entry('books/1.jpg'), entry('books/2.jpg', { size: 30 }), entry('lambda/a.zip', { size: 5 }), entry('x/y.tmp')]);
    const target = bySort([entry('books/2.jpg', { size: 30 }), entry('old.jpg'), entry('lambda/staging.zip'), entry('b.tmp')]);
    const diff: StreamedDiff = await mergeListings(slowly(pages(source, 1)), slowly(pages(target, 3)), rules);
    expect(diff.toCopy.keys).toEqual(['books/1.jpg']);
    expect(diff.toSkip).toMatchObject({ length: 1, bytes: 30, keys: ['books/2.jpg'] });
    expect(diff.excluded).toMatchObject({ length: 2, bytes: 15, keys: ['lambda/a.zip', 'x/y.tmp'] });
    expect(diff.targetOnly.objects.map((o) => o.key)).toEqual(['old.jpg']);
    expect(diff.targetOnlyExcluded.keys).toEqual(['b.tmp', 'lambda/staging.zip']);
    expect(diff).toMatchObject({ sourceObjects: 4, sourceBytes: 55, targetObjects: 4, targetBytes: 60 });
  });

  it('keeps delete candidates only as many as a run may delete, and counts them all', async () => {
    const target = bySort(Array.from({ length: 50 }, (_, i) => entry(`old/${i}`)));
    const keys = target.map((o) => o.key);
    // delete: true, max-delete 5: 50 counted, 5 kept; the guard refuses with the exact count.
    const capped = await mergeListings([], pages(target, 7), [], { deleteCandidates: 5 });
    expect(capped.targetOnly).toMatchObject({ length: 50, bytes: 500, keys: keys.slice(0, 20) });
    expect(capped.targetOnly.objects.map((o) => o.key)).toEqual(keys.slice(0, 5));
    expect(deleteGuardProblem(capped, { delete: true, maxDelete: 5 })).toContain('would delete 50 objects');
    // delete: false: none kept, the summary's count and sample unchanged.
    const none = await mergeListings([], pages(target, 7), [], { deleteCandidates: 0 });
    expect(none.targetOnly).toMatchObject({ length: 50, bytes: 500, keys: keys.slice(0, 20), objects: [] });
    // Within the limit, all of them, as the in-memory diff finds them.
    const all = await mergeListings([], pages(target, 7), [], { deleteCandidates: 50 });
    expect(all.targetOnly.objects).toEqual(diffBuckets([], target, []).targetOnly);
  });

  it('stops with the reason when a page comes back out of order, within a page or across pages', async () => {
    const inOrder = [entry('a'), entry('b'), entry('c')];
    await expect(mergeListings([[entry('a'), entry('c'), entry('b')]], [inOrder], [])).rejects.toThrow(
      new ListingOrderError('source', 'c', 'b'),
    );
    const error = await mergeListings([inOrder], [[entry('a'), entry('b')], [entry('b2'), entry('a.jpg')]], []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListingOrderError);
    expect((error as Error).message).toBe('the target listing returned `a.jpg` after `b2`, which is not S3\'s order (UTF-8 binary)');
    // A key listed twice is out of order too: the merge could not pair it.
    await expect(mergeListings([inOrder], [[entry('a')], [entry('a')]], [])).rejects.toBeInstanceOf(ListingOrderError);
    // JS (UTF-16) order is not S3's: a store listing that way is caught.
    await expect(mergeListings([[entry(EMOJI), entry(FULLWIDTH)]], [], [])).rejects.toBeInstanceOf(ListingOrderError);
  });

  it('gives exactly the in-memory diff on random listings (property test)', async () => {
    let seed = 12345;
    const random = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    const parts = ['a', 'b', 'lambda', 'x.tmp', 'é', '\uff01', '\u{1F600}', 'books', '1', '10', '.', '-'];
    const etags = [MD5_A, MD5_B, '"d41d8cd98f00b204e9800998ecf8427e-3"'];
    const key = () => Array.from({ length: 1 + random(3) }, () => parts[random(parts.length)]).join(random(2) ? '/' : '');
    const object = (k: string) => entry(k, { size: random(3), etag: etags[random(3)], lastModified: random(3) });
    const ruleSets = ['', 'lambda/', '**/*.tmp\n!b/**', 'b*\n**/\u{1F600}*'];
    const spillDir = mkdtempSync(join(tmpdir(), 'copy-list-'));
    let spilled = 0;
    for (let round = 0; round < 300; round++) {
      const keys = [...new Set(Array.from({ length: random(60) }, key))];
      const source: ObjectEntry[] = [];
      const target: ObjectEntry[] = [];
      for (const k of keys) {
        const where = random(4); // 0: source only, 1: target only, 2-3: both (often equal)
        const s = object(k);
        if (where !== 1) source.push(s);
        if (where === 1) target.push(object(k));
        if (where === 2) target.push({ ...s });
        if (where === 3) target.push(object(k));
      }
      const rules = compileExclusions(parseExclusions(ruleSets[round % ruleSets.length]!)).rules;
      const [sortedSource, sortedTarget] = [bySort(source), bySort(target)];
      // Every other round the objects to copy go to disk past a few (as for a Batch Operations job).
      const toCopy = new CopyList(round % 2 ? { aboveObjects: random(5), dir: spillDir } : undefined);
      const streamed = await mergeListings(slowly(pages(sortedSource, 1 + random(7))), pages(sortedTarget, 1 + random(7)), rules, { toCopy });
      const inMemory = diffBuckets(sortedSource, sortedTarget, rules);
      expect(await visible(streamed)).toEqual(await visible(tallied(inMemory)));
      if (toCopy.spilledTo) spilled++;
      toCopy.dispose();
      expect(streamed.sourceObjects).toBe(source.length);
      expect(streamed.targetBytes).toBe(target.reduce((sum, o) => sum + o.size, 0));
    }
    expect(spilled).toBeGreaterThan(100);
    expect(readdirSync(spillDir)).toEqual([]);
  });
});
