/**
 * Glob matching speed: keys/s of the glob engine (src/glob/glob.ts, through the exclusion rules
 * the images engine uses on every key) against the RegExp translation it replaced, on ordinary
 * patterns. The images engine matches every key of both buckets, so a slower matcher slows every
 * refresh: run this after changing the engine.
 *
 *   node --import tsx bench/glob/run.ts              # 200,000 keys
 *   BENCH_KEYS=50000 node --import tsx bench/glob/run.ts
 *
 * The old matcher cannot run the last pattern (it backtracks for minutes), nor brace sets and
 * classes (it took them literally): those rows show the new engine only.
 */
import { compileExclusions, matchExclusion, parseExclusions, type ExclusionRule } from '../../src/s3/exclusions.js';

const KEYS = Number(process.env.BENCH_KEYS ?? 200_000);
const ROUNDS = 5;

/** The RegExp translation used before the glob engine (src/s3/exclusions.ts until issue 15), kept as the baseline. */
function oldRule(pattern: string): (key: string) => boolean {
  if (pattern.endsWith('/')) return (key) => key.startsWith(pattern);
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      if (pattern[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(`^${source}$`, 's');
  return (key) => regex.test(key);
}

/** Keys shaped like an images bucket: covers, pages, thumbnails, a few packages and imports. */
function makeKeys(count: number): string[] {
  const keys: string[] = [];
  const kinds = ['cover.jpg', 'cover.webp', 'back cover.png', 'raw-a.png', 'scan.tiff', 'notes.tmp'];
  for (let n = 0; keys.length < count; n++) {
    const id = 1000 + (n % 50_000);
    if (n % 97 === 0) keys.push(`lambda/v${n % 7}/worker-${n}.zip`);
    else if (n % 89 === 0) keys.push(`data-import/2025-${(n % 12) + 1}/batch-${n}.csv`);
    else if (n % 5 === 0) keys.push(`books/${id}/pages/${n % 400}/page-${n}.webp`);
    else if (n % 7 === 0) keys.push(`books/${id}/thumbs/${n % 3}/t-${n}.jpg`);
    else keys.push(`books/${id}/${kinds[n % kinds.length]}`);
  }
  return keys;
}

function keysPerSecond(keys: readonly string[], excluded: (key: string) => boolean): { rate: number; hits: number } {
  let best = Infinity;
  let hits = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    hits = 0;
    for (const key of keys) if (excluded(key)) hits++;
    best = Math.min(best, performance.now() - started);
  }
  return { rate: keys.length / (best / 1000), hits };
}

const CASES: { name: string; patterns: string; oldCanRun: boolean }[] = [
  { name: 'defaults (4 prefixes)', patterns: 'lambda/\ndeploy/\ndata-import/\nlistings/', oldCanRun: true },
  { name: '**/*.tmp', patterns: '**/*.tmp', oldCanRun: true },
  { name: 'books/*/raw-?.png', patterns: 'books/*/raw-?.png', oldCanRun: true },
  { name: '**/thumbs/**', patterns: '**/thumbs/**', oldCanRun: true },
  { name: 'defaults + 3 globs', patterns: 'lambda/\ndeploy/\ndata-import/\nlistings/\n**/*.tmp\nbooks/*/raw-?.png\n**/thumbs/**', oldCanRun: true },
  { name: 'books/*/*.{tmp,tiff}', patterns: 'books/*/*.{tmp,tiff}', oldCanRun: false },
  { name: 'books/1[0-4]*/cover.*', patterns: 'books/1[0-4]*/cover.*', oldCanRun: false },
  { name: 'lambda/ + !lambda/v1/', patterns: 'lambda/\n!lambda/v1/', oldCanRun: false },
  { name: '**/**/**/**/**/*a*a*a*a*a*b', patterns: '**/**/**/**/**/*a*a*a*a*a*b', oldCanRun: false },
];

const keys = makeKeys(KEYS);
const format = (rate: number) => `${(rate / 1e6).toFixed(2)} M`;
console.log(`${keys.length.toLocaleString('en')} keys, best of ${ROUNDS} rounds, Node ${process.version}\n`);
console.log('| patterns | excluded | new engine keys/s | old RegExp keys/s | new / old |');
console.log('|---|---:|---:|---:|---:|');
for (const c of CASES) {
  const { rules, problems } = compileExclusions(parseExclusions(c.patterns));
  if (problems.length > 0) throw new Error(`${c.name}: ${problems.map((p) => p.reason).join('; ')}`);
  const ours = keysPerSecond(keys, (key) => matchExclusion(rules as ExclusionRule[], key) !== undefined);
  let oldText = '—';
  let ratio = '—';
  if (c.oldCanRun) {
    const oldRules = parseExclusions(c.patterns).map(oldRule);
    const old = keysPerSecond(keys, (key) => oldRules.some((test) => test(key)));
    if (old.hits !== ours.hits) throw new Error(`${c.name}: the engines disagree (${ours.hits} vs ${old.hits} keys)`);
    oldText = format(old.rate);
    ratio = `${(ours.rate / old.rate).toFixed(2)}×`;
  }
  console.log(`| \`${c.name}\` | ${ours.hits.toLocaleString('en')} | ${format(ours.rate)} | ${oldText} | ${ratio} |`);
}
