import { describe, expect, it } from 'vitest';
import { boundsAfter, cutBetween, listsInS3Order } from '../../src/s3/key-ranges.js';
import { compareKeys } from '../../src/s3/merge.js';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const isWellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/** Deterministic keys of the shapes buckets hold: numbered, hex, dated, mixed case, non-ASCII. */
function sampleKeys(): string[] {
  let x = 7;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  const keys = new Set<string>();
  for (let i = 0; i < 300; i++) {
    keys.add(`books/${next() % 100000}/cover.jpg`);
    keys.add(`images/${next().toString(16)}/original.png`);
    keys.add(`2026/${String((next() % 12) + 1).padStart(2, '0')}/${next() % 31}.log`);
    keys.add(`Avatars/${String.fromCharCode(65 + (next() % 26))}${next() % 99}`);
    keys.add(`ünïcode/${['é', 'ß', '中', '😀', '\uffee', 'z'][next() % 6]}${next() % 50}`);
  }
  return [...keys, 'a', 'a/', 'b', 'books/', 'books/9', '~', '\u{10fffe}x'];
}

describe('cutting the key space for parallel listing', () => {
  const keys = sampleKeys().sort(utf8Order);

  it('cuts strictly between any two keys where there is room, in S3 order, as well-formed text', () => {
    let cuts = 0;
    for (let i = 0; i + 1 < keys.length; i += 3) {
      for (const j of [i + 1, Math.min(keys.length - 1, i + 40), keys.length - 1]) {
        if (j <= i) continue;
        const cut = cutBetween(keys[i]!, keys[j]!);
        if (cut === undefined) continue;
        cuts++;
        expect(utf8Order(keys[i]!, cut), `${keys[i]} < ${cut}`).toBeLessThan(0);
        expect(utf8Order(cut, keys[j]!), `${cut} < ${keys[j]}`).toBeLessThan(0);
        expect(compareKeys(keys[i]!, cut)).toBeLessThan(0);
        expect(isWellFormed(cut)).toBe(true);
      }
    }
    expect(cuts).toBeGreaterThan(keys.length / 2);
  });

  it('cuts numbered keys near the middle of what is left, and follows the key deeper when the next character is adjacent', () => {
    expect(cutBetween('books/2899/cover.jpg', 'books/:')).toBe('books/6');
    // 'b' and 'c' are adjacent: the cut keeps the 'b' and cuts halfway from 'o' to the end of the letters.
    expect(cutBetween('books/1899/cover.jpg', 'c')).toBe('bu');
    expect(cutBetween('a/x', 'a0')).toBe('a/y');
    expect(cutBetween('a', 'a\u0000')).toBeUndefined(); // nothing lies between
    expect(cutBetween('ab', 'a')).toBeUndefined();
  });

  it('bounds the open end along the last key\'s path, deepest first, each above the last key', () => {
    expect(boundsAfter('books/1/cover.jpg', 'books/1899/cover.jpg', 15)).toEqual(['books/1:', 'books/:', 'books0', 'book{', 'boo{', 'bo{', 'b{', '{']);
    expect(boundsAfter('books/1/cover.jpg', 'books/1899/cover.jpg', 3)).toEqual(['books/1:', 'books/:', 'books0']);
    for (let i = 0; i + 1 < keys.length; i += 7) {
      const bounds = boundsAfter(keys[i]!, keys[i + 1]!, 15);
      let previous = keys[i + 1]!;
      for (const bound of bounds) {
        expect(utf8Order(previous, bound)).toBeLessThan(0);
        expect(isWellFormed(bound)).toBe(true);
        previous = bound;
      }
    }
  });

  it('cuts ranges only for Amazon S3 itself, whose order is documented; other stores are listed by prefix', () => {
    expect(listsInS3Order(undefined)).toBe(true);
    expect(listsInS3Order('https://s3-fips.us-east-1.amazonaws.com')).toBe(true);
    expect(listsInS3Order('https://bucket.vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com')).toBe(true);
    expect(listsInS3Order('https://s3.cn-north-1.amazonaws.com.cn')).toBe(true);
    expect(listsInS3Order('http://127.0.0.1:4569')).toBe(false);
    expect(listsInS3Order('https://minio.internal:9000')).toBe(false);
    expect(listsInS3Order('https://amazonaws.com.evil.example')).toBe(false);
    expect(listsInS3Order('not a url')).toBe(false);
  });
});
