import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyList, type CopyItems } from '../../src/s3/copy-list.js';
import type { CopyItem } from '../../src/s3/diff.js';

const GB = 1024 ** 3;
const item = (key: string, size = 10, target?: Partial<CopyItem['source']>): CopyItem => ({
  source: { key, size, etag: '"0cc175b9c0f1b6a831c399e269772661"', lastModified: 1_700_000_000_000 },
  ...(target ? { target: { key, size, etag: '"92eb5ffee6ae2fec3ad71c777531578f"', lastModified: 1_600_000_000_000, ...target } } : {}),
  reason: target ? 'content differs' : 'missing',
});
const all = async (items: CopyItems) => {
  const read: CopyItem[] = [];
  for await (const batch of items.batches()) read.push(...batch);
  return read;
};

// Keys S3 allows that a line-based file could break on: line breaks, quotes, commas, backslashes,
// U+2028 (a line break to some readers), characters above U+FFFF.
const AWKWARD = ['a\nb.jpg', 'c\r\nd.jpg', 'say "hi",x.txt', 'back\\slash', 'line\u2028sep', '\u{1F600}/表紙 – Ü.jpg', ' lead and trail '];

describe('the list of objects to copy', () => {
  it('past its threshold writes the objects to disk and reads back exactly what was added, in order, as often as asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copy-list-'));
    const spills: string[] = [];
    const list = new CopyList({ aboveObjects: 3, dir, onSpill: (path) => spills.push(path) });
    const added = [...AWKWARD.map((k, i) => item(k, i + 1, i % 2 ? {} : undefined)), ...Array.from({ length: 5000 }, (_, i) => item(`books/${i}/cover.jpg`, 100 + i))];
    for (const [i, object] of added.entries()) {
      list.add(object);
      // Memory until the threshold is passed, then a file (once).
      expect(list.spilledTo === undefined, `after ${i + 1}`).toBe(i + 1 <= 3);
    }
    expect(spills).toEqual([list.spilledTo]);
    expect(readdirSync(dir)).toHaveLength(1);
    expect(statSync(list.spilledTo!).mode & 0o777).toBe(0o600); // keys are the team's data
    expect(await list.toArray()).toEqual(added);
    expect(await list.toArray()).toEqual(added); // the job reads it twice: for the manifest's name, then its lines
    expect(readFileSync(list.spilledTo!, 'utf8').split('\n').filter(Boolean)).toHaveLength(added.length);
    expect(list).toMatchObject({ length: added.length, bytes: added.reduce((sum, i) => sum + i.source.size, 0) });
    expect(list.keys).toEqual(added.slice(0, 20).map((i) => i.source.key));
    expect(list.byReason).toEqual({ missing: added.length - 3, 'size differs': 0, 'content differs': 3, 'newer in source': 0 });

    list.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stays in memory without a spill policy or up to its threshold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copy-list-'));
    const unbounded = new CopyList();
    const small = new CopyList({ aboveObjects: 10, dir });
    for (let i = 0; i < 10; i++) [unbounded, small].forEach((list) => list.add(item(`k${i}`)));
    expect([unbounded.spilledTo, small.spilledTo]).toEqual([undefined, undefined]);
    expect((await small.toArray()).map((i) => i.source.key)).toEqual((await unbounded.toArray()).map((i) => i.source.key));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps objects over 5 GB in memory, apart: what a Batch Operations job can copy is the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copy-list-'));
    const list = new CopyList({ aboveObjects: 1, dir });
    const objects = [item('a', 5 * GB), item('huge-1', 5 * GB + 1), item('b', 7), item('huge-2', 6 * GB), item('c', 8)];
    objects.forEach((o) => list.add(o));
    expect(list.large.map((i) => i.source.key)).toEqual(['huge-1', 'huge-2']);
    const forJob = list.upTo5GB();
    expect(forJob).toMatchObject({ length: 3, bytes: 5 * GB + 15 });
    expect((await all(forJob)).map((i) => i.source.key)).toEqual(['a', 'b', 'c']);
    expect((await list.toArray()).map((i) => i.source.key)).toEqual(['a', 'b', 'c', 'huge-1', 'huge-2']);
    expect(list.keys).toEqual(['a', 'huge-1', 'b', 'huge-2', 'c']);
    list.dispose();
  });

  it('a new list like it spills the same way; a directory it cannot write to is a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'copy-list-'));
    const next = new CopyList({ aboveObjects: 0, dir }).emptyLike();
    next.add(item('x'));
    expect(next.spilledTo?.startsWith(dir)).toBe(true);
    next.dispose();

    // A directory under a regular file cannot be made: the message says where and what to check.
    const file = new CopyList({ aboveObjects: 0, dir });
    file.add(item('y'));
    const bad = new CopyList({ aboveObjects: 0, dir: join(file.spilledTo!, 'sub') });
    expect(() => bad.add(item('z'))).toThrow(/^Could not write the list of objects to copy to .*\(ENOTDIR\): the runner's temporary directory \(RUNNER_TEMP\) must be a directory the action can write to\.$/);
    file.dispose();
  });
});
