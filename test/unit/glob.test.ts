import { describe, expect, it } from 'vitest';
import { compileGlob, compileGlobList, globProblem, selectingRule, splitPatterns } from '../../src/glob/glob.js';

const matches = (pattern: string, text: string, prefix = false) => compileGlob(pattern, { prefix }).test(text);

describe('glob semantics', () => {
  // pattern, text, matches?
  const table: [string, string, boolean][] = [
    // literals
    ['books/1/cover.jpg', 'books/1/cover.jpg', true],
    ['books/1/cover.jpg', 'books/1/cover.jpgx', false],
    ['a+b.(1)|$^.jpg', 'a+b.(1)|$^.jpg', true],
    ['a+b.(1).jpg', 'aab.(1)xjpg', false],
    ['Überschrift – 表紙.jpg', 'Überschrift – 表紙.jpg', true],
    // * stays within a segment
    ['*.tmp', 'a.tmp', true],
    ['*.tmp', '.tmp', true],
    ['*.tmp', 'books/a.tmp', false],
    ['books/*/raw.png', 'books/12/raw.png', true],
    ['books/*/raw.png', 'books/1/2/raw.png', false],
    // ? is one character, not /
    ['raw-?.png', 'raw-a.png', true],
    ['raw-?.png', 'raw-ab.png', false],
    ['raw-?.png', 'raw-.png', false],
    ['a?b', 'a/b', false],
    ['?.jpg', '表.jpg', true],
    ['?.jpg', '😀.jpg', true],
    // ** crosses /, and **/ matches zero directories
    ['**/*.tmp', 'a.tmp', true],
    ['**/*.tmp', 'books/1/a.tmp', true],
    ['**/*.tmp', 'books/1/a.tmpx', false],
    ['books/**/raw.png', 'books/raw.png', true],
    ['books/**/raw.png', 'books/1/2/raw.png', true],
    ['books/**/raw.png', 'booksraw.png', false],
    ['books/**', 'books/1/2/3.jpg', true],
    ['books/**', 'books', false],
    ['**', 'any/thing', true],
    ['a**z', 'a/b/z', true],
    ['**/migrations/**', 'backend/app/migrations/0001.py', true],
    ['**/migrations/**', 'migrations/0001.py', true],
    ['**/migrations/**', 'backend/migrations', false],
    // brace sets
    ['*.{jpg,png}', 'a.jpg', true],
    ['*.{jpg,png}', 'a.png', true],
    ['*.{jpg,png}', 'a.gif', false],
    ['*.{jpg,png}', 'a.{jpg,png}', false],
    ['db/**/*.{sql,py}', 'db/migrate/001.py', true],
    ['db/**/*.{sql,py}', 'db/001.sql', true],
    ['db/**/*.{sql,py}', 'db/001.rb', false],
    ['{books,authors}/**/*.{jpg,{png,webp}}', 'authors/9/face.webp', true],
    ['{books,authors}/**/*.{jpg,{png,webp}}', 'covers/9/face.webp', false],
    ['file{,.bak}', 'file', true],
    ['file{,.bak}', 'file.bak', true],
    ['{a*,*b}/x', 'zzb/x', true],
    ['{a/**,b}/x', 'a/1/2/x', true],
    // character classes
    ['img_[0-9].jpg', 'img_7.jpg', true],
    ['img_[0-9].jpg', 'img_x.jpg', false],
    ['img_[0-9].jpg', 'img_10.jpg', false],
    ['img_[!0-9].jpg', 'img_x.jpg', true],
    ['img_[!0-9].jpg', 'img_7.jpg', false],
    ['img_[^0-9].jpg', 'img_x.jpg', true],
    ['a[!x]b', 'a/b', false],
    ['[]x]', ']', true],
    ['[!]x]', 'y', true],
    ['[a-]', '-', true],
    ['[\\]]', ']', true],
    ['[A-Za-z_]*', 'Books', true],
    ['[A-Za-z_]*', '9books', false],
    // escapes
    ['\\*.jpg', '*.jpg', true],
    ['\\*.jpg', 'a.jpg', false],
    ['\\?', '?', true],
    ['\\?', 'x', false],
    ['photo\\[1\\].jpg', 'photo[1].jpg', true],
    ['photo\\[1\\].jpg', 'photo1.jpg', false],
    ['\\{a,b\\}', '{a,b}', true],
    ['a\\\\b', 'a\\b', true],
    ['a,b', 'a,b', true],
  ];
  for (const [pattern, text, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${text}`, () => {
      expect(matches(pattern, text)).toBe(expected);
    });
  }

  it('with prefix (a pattern ending in /), matches everything under a match', () => {
    expect(matches('lambda/', 'lambda/api.zip', true)).toBe(true);
    expect(matches('lambda/', 'lambda/x/y.zip', true)).toBe(true);
    expect(matches('lambda/', 'lambda', true)).toBe(false);
    expect(matches('lambda/', 'books/lambda/a.jpg', true)).toBe(false);
    expect(matches('*/tmp/', 'books/tmp/a/b.jpg', true)).toBe(true);
    expect(matches('*/tmp/', 'books/1/tmp/a.jpg', true)).toBe(false);
    expect(matches('{deploy,lambda}/', 'deploy/layer.zip', true)).toBe(true);
  });

  it('tells literal patterns from globs', () => {
    expect(compileGlob('books').isLiteral).toBe(true);
    expect(compileGlob('bo\\*ks').isLiteral).toBe(true);
    for (const glob of ['book?', 'book*', 'book[s]', '{books,authors}']) expect(compileGlob(glob).isLiteral).toBe(false);
    expect(compileGlob('{pub,aud}*_[0-9]x').literalCharacters).toBe('pubaud_x');
  });
});

describe('glob syntax errors', () => {
  const cases: [string, RegExp][] = [
    ['img_[0-9.jpg', /the `\[` at character 5 is never closed; close it \(`\[0-9\]`\) or write `\\\[`/],
    ['img_0-9].jpg', /the `\]` at character 8 closes no `\[`/],
    ['*.{jpg,png', /the `\{` at character 3 is never closed/],
    ['*.jpg,png}', /the `\}` at character 10 closes no `\{`/],
    ['*.{jpg,{png,gif}', /the `\{` at character 3 is never closed/],
    ['*.{jpg}', /has one choice only; list two or more/],
    ['a\\', /ends with a lone `\\`/],
    ['[z-a]', /runs backwards; write `a-z`/],
    ['[[:alpha:]]', /POSIX classes/],
    ['a[/]b', /holds `\/`, which a class never matches/],
    ['{'.repeat(12) + 'a,b' + '}'.repeat(12), /nested more than 10 deep/],
    ['a'.repeat(1025), /longer than 1024 characters/],
    ['*?'.repeat(100), /too many wildcards, classes and brace choices to be matched quickly \(\d+ steps, at most 256\)/],
  ];
  for (const [pattern, message] of cases) {
    it(`refuses ${pattern.length > 40 ? `${pattern.slice(0, 20)}…` : pattern}`, () => {
      expect(globProblem(pattern)).toMatch(message);
    });
  }
  it('accepts what is valid', () => {
    expect(globProblem('**/*.{jpg,png}')).toBeUndefined();
    expect(globProblem(`${'a'.repeat(500)}*${'b'.repeat(500)}`)).toBeUndefined(); // literal head and tail cost nothing
  });
});

describe('pattern lists', () => {
  const list = (patterns: string[], negation = true) => compileGlobList(patterns, { negation, trailingSlashIsPrefix: true });
  const selected = (patterns: string[], text: string) => {
    const { rules, problems } = list(patterns);
    expect(problems).toEqual([]);
    return selectingRule(rules, text)?.pattern;
  };

  it('negation: the last matching pattern decides, as in .gitignore', () => {
    const patterns = ['lambda/', '!lambda/keep/', '**/*.tmp'];
    expect(selected(patterns, 'lambda/api.zip')).toBe('lambda/');
    expect(selected(patterns, 'lambda/keep/a.zip')).toBeUndefined();
    expect(selected(patterns, 'lambda/keep/a.tmp')).toBe('**/*.tmp');
    expect(selected(patterns, 'books/1.jpg')).toBeUndefined();
    expect(selected(['*.jpg', '!keep-*', 'keep-me.jpg'], 'keep-me.jpg')).toBe('keep-me.jpg');
    expect(selected(['*.jpg', '!keep-*', 'keep-me.jpg'], 'keep-you.jpg')).toBeUndefined();
    expect(selected(['\\!important.jpg'], '!important.jpg')).toBe('\\!important.jpg');
  });

  it('names each bad pattern, and refuses negation where it has no meaning', () => {
    const described = (patterns: string[], negation = true) => list(patterns, negation).problems.map((p) => `${p.pattern}: ${p.reason}`);
    expect(described(['ok/', 'img_[0-9.jpg', '!', '*.{a}'])).toEqual([
      'img_[0-9.jpg: the `[` at character 5 is never closed; close it (`[0-9]`) or write `\\[` to match a bracket',
      '!: a `!` must be followed by the pattern to re-include',
      '*.{a}: the brace set at character 3 has one choice only; list two or more separated by commas (`{jpg,png}`) or write `\\{` to match a brace',
    ]);
    expect(described(['!lambda/keep/'])).toEqual([
      '!lambda/keep/: a `!` pattern re-includes what an earlier pattern selected, and no pattern comes before it; move it after the pattern it makes an exception to',
    ]);
    expect(described(['a*', '!ab'], false)).toEqual(['!ab: a leading `!` (negation) is not supported here; write `\\!` to match a `!`']);
  });

  it('splits an input at lines, and at commas outside brace sets and classes', () => {
    expect(splitPatterns('db/**/*.{sql,py}, **/migrations/**\n# comment\n\n  x/  ', { commas: true })).toEqual(['db/**/*.{sql,py}', '**/migrations/**', 'x/']);
    expect(splitPatterns('a[,]b,c\\,d,{x,{y,z}}', { commas: true })).toEqual(['a[,]b', 'c\\,d', '{x,{y,z}}']);
    expect(splitPatterns('a[],]b,c', { commas: true })).toEqual(['a[],]b', 'c']);
    expect(splitPatterns('*.{tmp,bak}\nreport,final.pdf\n\\#hash', { commas: false })).toEqual(['*.{tmp,bak}', 'report,final.pdf', '\\#hash']);
  });
});

describe('matching time is linear in the key', () => {
  it('the pathological pattern against 500 long keys finishes within a second', () => {
    const glob = compileGlob('**/**/**/**/**/*a*a*a*a*a*b');
    const keys = Array.from({ length: 500 }, (_, n) => `${'a/'.repeat(20)}${'a'.repeat(400 + n)}`);
    const started = performance.now();
    const matched = keys.filter((key) => glob.test(key)).length;
    const elapsed = performance.now() - started;
    expect(matched).toBe(0);
    expect(elapsed).toBeLessThan(1000);
    expect(glob.test(`${'a/'.repeat(20)}aaaaab`)).toBe(true);
  });

  it('so does the largest automaton accepted, built to defeat every shortcut (sets that never repeat)', () => {
    const glob = compileGlob(`*a${'?'.repeat(250)}b`);
    let seed = 9;
    const letter = () => 'ab'[Math.floor((seed = (seed * 1103515245 + 12345) % 2147483648) / 65536) % 2];
    const keys = Array.from({ length: 500 }, () => `${Array.from({ length: 1023 }, letter).join('')}b`);
    const started = performance.now();
    keys.forEach((key) => glob.test(key));
    // Typically about 0.5 s on one core: bounded by pattern × key, never exponential.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('so do nested brace sets of stars', () => {
    const glob = compileGlob('{*a,*b}{*a,*b}{*a,*b}{*a,*b}{*a,*b}{*a,*b}c');
    const keys = Array.from({ length: 500 }, () => 'ab'.repeat(300));
    const started = performance.now();
    expect(keys.some((key) => glob.test(key))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('the engine agrees with a plain RegExp translation (small random patterns and texts)', () => {
  // Backtracking is harmless at these sizes, so a RegExp is a fine reference.
  const PIECES = ['a', 'b', '/', '*', '**', '**/', '?', '[ab]', '[!a]', '{a,b*}', '{,a/}', '\\*'];
  const REGEX: Record<string, string> = {
    a: 'a', b: 'b', '/': '/', '*': '[^/]*', '**': '.*', '**/': '(?:.*/)?', '?': '[^/]', '[ab]': '[ab]', '[!a]': '[^a/]', '{a,b*}': '(?:a|b[^/]*)', '{,a/}': '(?:|a/)', '\\*': '\\*',
  };
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor(seed / 65536) % n;
  };
  it('on 3,000 pattern × text pairs', () => {
    for (let p = 0; p < 300; p++) {
      const pieces = Array.from({ length: 1 + random(6) }, () => PIECES[random(PIECES.length)]!);
      // `*` then `*` reads as `**`, and `**` then `/` as `**/`: not what the pieces say apart.
      if (pieces.some((piece, k) => (piece === '*' || piece === '**') && (pieces[k + 1]?.startsWith('*') || (piece === '**' && pieces[k + 1]?.startsWith('/'))))) continue;
      const pattern = pieces.join('');
      const reference = new RegExp(`^${pieces.map((piece) => REGEX[piece]).join('')}$`, 's');
      const glob = compileGlob(pattern);
      for (let t = 0; t < 10; t++) {
        const text = Array.from({ length: random(9) }, () => 'ab/*'[random(4)]).join('');
        expect(glob.test(text), `${pattern} on ${text}`).toBe(reference.test(text));
      }
    }
  });

  it('keeps memory bounded on patterns with many state sets, and matches non-ASCII keys', () => {
    // Up to 2^10 sets of states: more than are kept, so they are dropped and built again.
    const glob = compileGlob('*a??????????b');
    const reference = /^[^/]*a[^/]{10}b$/;
    for (let n = 0; n < 50; n++) {
      const text = Array.from({ length: 3000 }, () => 'ab'[random(2)]).join('');
      expect(glob.test(text)).toBe(reference.test(text));
    }
    expect(compileGlob('**/表紙-?.{jpg,png}').test('books/8/表紙-😀.png')).toBe(true);
    expect(compileGlob('**/表紙-?.{jpg,png}').test('books/8/表紙-😀😀.png')).toBe(false);
  });
});
