/**
 * Streamed images diff benchmark: two synthetic listings of 10 million keys each, in S3's order,
 * produced page by page by a generator (no server), merged by `mergeListings` with the default
 * exclusions. Prints the diff's counts, peak RSS and keys per second. See README, "Performance".
 *
 *   npm run bench:diff                   # 10,000,000 keys a side
 *   BENCH_KEYS=1000000 npm run bench:diff
 *
 * The target differs from the source as a staging bucket would: 1 % of the source missing (to
 * copy), 0.1 % changed, 0.2 % extra keys (delete candidates); those are what the diff keeps.
 */
import { DEFAULT_EXCLUSIONS } from '../../src/config/images-options.js';
import { compileExclusions, parseExclusions } from '../../src/s3/exclusions.js';
import type { ObjectEntry } from '../../src/s3/list.js';
import { mergeListings } from '../../src/s3/merge.js';

const KEYS = Number(process.env.BENCH_KEYS ?? 10_000_000);
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
async function* targetPages(): AsyncGenerator<ObjectEntry[]> {
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

async function main() {
  const exclusions = compileExclusions(parseExclusions(DEFAULT_EXCLUSIONS)).rules;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const started = performance.now();
  const diff = await mergeListings(sourcePages(), targetPages(), exclusions);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  // The kernel's own high-water mark catches peaks between samples.
  const maxRssMb = Math.max(peakRss / 2 ** 20, process.resourceUsage().maxRSS / 1024);
  const keys = diff.sourceObjects + diff.targetObjects;
  console.log(`Listings: ${diff.sourceObjects.toLocaleString('en')} source keys, ${diff.targetObjects.toLocaleString('en')} target keys (pages of ${PAGE}, generated)`);
  console.log(
    `Diff: ${diff.toCopy.length.toLocaleString('en')} to copy, ${diff.toSkip.length.toLocaleString('en')} identical, ` +
      `${diff.targetOnly.length.toLocaleString('en')} delete candidates, ${diff.excluded.length} excluded`,
  );
  console.log(`Time: ${seconds.toFixed(1)} s; ${(keys / seconds / 1e6).toFixed(2)} M keys/s (both listings), ${(diff.sourceObjects / seconds / 1e6).toFixed(2)} M source keys/s`);
  console.log(`Peak RSS: ${maxRssMb.toFixed(0)} MB (goal < 300 MB); node ${process.version}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
