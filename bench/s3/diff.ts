/**
 * Streamed images diff benchmark: two synthetic listings of 10 million keys each, in S3's order,
 * produced page by page by a generator (no server), merged by `mergeListings` with the default
 * exclusions. Each scenario runs in its own process; prints the diff's counts, peak RSS and keys
 * per second. See README, "Performance".
 *
 *   npm run bench:diff                   # 10,000,000 keys a side, every scenario
 *   BENCH_KEYS=1000000 npm run bench:diff
 *   BENCH_SCENARIO=cold-batch npm run bench:diff
 *
 * Scenarios:
 *   - staging: the target differs as a staging bucket would: 1 % of the source missing (to copy),
 *     0.1 % changed, 0.2 % extra keys (delete candidates); those are what the diff keeps;
 *   - cold-runner: an empty target, every object to copy held in memory (the runner copies them);
 *   - cold-batch: the same, with a Batch Operations job to copy them: past `batch-threshold`
 *     (100,000) the objects to copy go to a file, then are read back as the job's manifest is
 *     (digest, then lines), which is timed too.
 */
import { DEFAULT_EXCLUSIONS } from '../../src/config/images-options.js';
import { compileExclusions, parseExclusions } from '../../src/s3/exclusions.js';
import type { ObjectEntry } from '../../src/s3/list.js';
import { mergeListings } from '../../src/s3/merge.js';
import { CopyList } from '../../src/s3/copy-list.js';
import { manifestLine } from '../../src/s3/batch/manifest.js';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const KEYS = Number(process.env.BENCH_KEYS ?? 10_000_000);
const SCENARIOS = ['staging', 'cold-runner', 'cold-batch'] as const;
type Scenario = (typeof SCENARIOS)[number];
const SCENARIO = process.env.BENCH_SCENARIO as Scenario | undefined;
const BATCH_THRESHOLD = 100_000;
const PAGE = 1000;
const MD5 = ['"0cc175b9c0f1b6a831c399e269772661"', '"92eb5ffee6ae2fec3ad71c777531578f"'];
const MODIFIED = Date.UTC(2026, 0, 1);

/** Keys in UTF-8 order: fixed-width numbers, and `cover.jpg` < `old.jpg` under each. */
const key = (i: number, name: string) => `books/${String(i).padStart(8, '0')}/${name}`;
const object = (i: number, name: string, etag = MD5[0]!): ObjectEntry => ({ key: key(i, name), size: 20_000 + (i % 100_000), etag, lastModified: MODIFIED });

async function* sourcePages(): AsyncGenerator<ObjectEntry[]> {
  for (let start = 0; start < KEYS; start += PAGE) {
    const page: ObjectEntry[] = [];
    for (let i = start; i < Math.min(KEYS, start + PAGE); i++) page.push(object(i, 'cover.jpg'));
    yield page;
  }
}

/** Same count of keys as the source: 1 % missing, 0.1 % changed, the gap filled with extra keys. */
async function* stagingPages(): AsyncGenerator<ObjectEntry[]> {
  let page: ObjectEntry[] = [];
  let emitted = 0;
  for (let i = 0; emitted < KEYS; i++) {
    if (i % 100 !== 7) {
      page.push(object(i, 'cover.jpg', i % 1000 === 3 ? MD5[1] : MD5[0]));
      emitted++;
    }
    if (i % 500 === 11 && emitted < KEYS) {
      page.push(object(i, 'old.jpg'));
      emitted++;
    }
    if (page.length >= PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

async function* noPages(): AsyncGenerator<ObjectEntry[]> {}

async function runScenario(scenario: Scenario) {
  const exclusions = compileExclusions(parseExclusions(DEFAULT_EXCLUSIONS)).rules;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const spillDir = mkdtempSync(join(tmpdir(), 'bench-diff-'));
  const toCopy = new CopyList(scenario === 'cold-batch' ? { aboveObjects: BATCH_THRESHOLD, dir: spillDir } : undefined);
  const started = performance.now();
  const diff = await mergeListings(sourcePages(), scenario === 'staging' ? stagingPages() : noPages(), exclusions, { toCopy });
  const seconds = (performance.now() - started) / 1000;
  let readBack = '';
  if (toCopy.spilledTo) {
    // What the job does with the list: a digest of the manifest's lines (its name), then the lines.
    const readStarted = performance.now();
    for (let pass = 0; pass < 2; pass++) {
      const digest = createHash('sha256');
      for await (const batch of toCopy.upTo5GB().batches()) digest.update(batch.map((item) => manifestLine('production-images', item.source.key)).join(''));
    }
    const readSeconds = (performance.now() - readStarted) / 1000;
    const mb = statSync(toCopy.spilledTo).size / 2 ** 20;
    readBack = `; list file ${mb.toFixed(0)} MB (${((mb * 2 ** 20) / toCopy.length).toFixed(0)} bytes an object), read back twice as manifest lines in ${readSeconds.toFixed(1)} s`;
  }
  clearInterval(sampler);
  // The kernel's own high-water mark catches peaks between samples.
  const maxRssMb = Math.max(peakRss / 2 ** 20, process.resourceUsage().maxRSS / 1024);
  toCopy.dispose();
  rmSync(spillDir, { recursive: true, force: true });
  const keys = diff.sourceObjects + diff.targetObjects;
  console.log(`\n[${scenario}] ${diff.sourceObjects.toLocaleString('en')} source keys, ${diff.targetObjects.toLocaleString('en')} target keys (pages of ${PAGE}, generated)`);
  console.log(
    `Diff: ${diff.toCopy.length.toLocaleString('en')} to copy${toCopy.spilledTo ? ' (in a file)' : ''}, ${diff.toSkip.length.toLocaleString('en')} identical, ` +
      `${diff.targetOnly.length.toLocaleString('en')} delete candidates, ${diff.excluded.length} excluded`,
  );
  console.log(`Time: ${seconds.toFixed(1)} s; ${(keys / seconds / 1e6).toFixed(2)} M keys/s (both listings), ${(diff.sourceObjects / seconds / 1e6).toFixed(2)} M source keys/s${readBack}`);
  const goal = scenario === 'cold-runner' ? 'grows with the objects to copy' : 'goal < 300 MB';
  console.log(`Peak RSS: ${maxRssMb.toFixed(0)} MB (${goal}); node ${process.version}`);
}

/** Each scenario in a process of its own, so one's peak memory is not another's. */
async function main() {
  if (SCENARIO) return runScenario(SCENARIO);
  for (const scenario of SCENARIOS) {
    const child = fork(fileURLToPath(import.meta.url), {
      env: { ...process.env, BENCH_SCENARIO: scenario },
      // The in-memory cold copy of 10 million objects may need more than Node's default heap;
      // the others run with the defaults the action gets (the heap limit also sizes V8's young generation).
      execArgv: [...process.execArgv, ...(scenario === 'cold-runner' ? ['--max-old-space-size=8192'] : [])],
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) console.log(`[${scenario}] exited with ${code}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
