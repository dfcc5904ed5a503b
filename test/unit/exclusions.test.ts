import { describe, expect, it } from 'vitest';
import { compileExclusion, matchExclusion, parseExclusions } from '../../src/s3/exclusions.js';

const rules = (text: string) => parseExclusions(text).map(compileExclusion);
const excluded = (text: string, key: string) => matchExclusion(rules(text), key)?.pattern;

describe('exclusions', () => {
  it('treats a pattern ending in / as a key prefix', () => {
    expect(excluded('lambda/', 'lambda/api.zip')).toBe('lambda/');
    expect(excluded('lambda/', 'lambda/x/y.zip')).toBe('lambda/');
    expect(excluded('lambda/', 'books/lambda/a.jpg')).toBeUndefined();
    expect(excluded('lambda/', 'lambda')).toBeUndefined();
  });

  it('matches globs against the whole key: * and ? within a segment, ** across', () => {
    expect(excluded('*.tmp', 'a.tmp')).toBe('*.tmp');
    expect(excluded('*.tmp', 'books/a.tmp')).toBeUndefined();
    expect(excluded('**/*.tmp', 'books/1/a.tmp')).toBe('**/*.tmp');
    expect(excluded('**/*.tmp', 'a.tmp')).toBe('**/*.tmp');
    expect(excluded('books/*/raw-?.png', 'books/12/raw-a.png')).toBe('books/*/raw-?.png');
    expect(excluded('books/*/raw-?.png', 'books/12/raw-ab.png')).toBeUndefined();
    expect(excluded('books/**', 'books/1/2/3.jpg')).toBe('books/**');
  });

  it('takes dots, brackets and plus signs literally', () => {
    expect(excluded('a+b.(1).jpg', 'a+b.(1).jpg')).toBe('a+b.(1).jpg');
    expect(excluded('a+b.(1).jpg', 'aab.(1)xjpg')).toBeUndefined();
  });

  it('ignores blank lines and # comments', () => {
    expect(parseExclusions('# deployment packages\nlambda/\n\n  deploy/  \n#listings/\n')).toEqual(['lambda/', 'deploy/']);
  });
});

describe('a pathological exclusion pattern', () => {
  // Compiled to a backtracking RegExp, this pattern spun at 100 % CPU for minutes on a few hundred keys.
  it('is matched against 500 long keys within a second', () => {
    const keys = Array.from({ length: 500 }, (_, n) => `${'a/'.repeat(20)}${'a'.repeat(400 + n)}`);
    const started = performance.now();
    const matched = keys.filter((key) => excluded('**/**/**/**/**/*a*a*a*a*a*b', key)).length;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(matched).toBe(0);
  });
});
