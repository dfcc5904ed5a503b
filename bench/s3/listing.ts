/**
 * Listing benchmark: one bucket whose keys all sit under one prefix (the case a top-level prefix
 * fan-out cannot help), listed against the latency model of S3 (bench/s3/model.ts: every request
 * answered after `BENCH_LATENCY_MS`, 25 ms by default) three ways, in one run:
 *   - serial: one chain of 1,000-key pages, as `aws s3 sync` and `rclone` list;
 *   - by prefix: this action's listing for stores other than S3 (one chain per top-level prefix);
 *   - key ranges: this action's listing on Amazon S3 (StartAfter ranges, up to 16 chains).
 * Each must return every key in S3's order; prints seconds, requests, keys/s and the ratios.
 *
 *   npm run bench:list                      # 100,000 keys
 *   BENCH_KEYS=20000 npm run bench:list
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createS3Client } from '../../src/s3/client.js';
import { listPages, streamBucket, type StreamInfo } from '../../src/s3/list.js';
import { compareKeys } from '../../src/s3/merge.js';
import { startS3Model } from './model.js';

const KEYS = Number(process.env.BENCH_KEYS ?? 100_000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 25);

const bookKeys = () => Array.from({ length: KEYS }, (_, i) => `books/${i + 1}/cover.jpg`);

/** The model runs in its own process, as S3 is not in the lister's: only the lister's CPU counts. */
async function serveModel() {
  const model = await startS3Model({ latencyMs: LATENCY_MS });
  model.createBucket('listing');
  const body = Buffer.from('x');
  for (const key of bookKeys()) model.putObject('listing', key, body);
  process.on('message', () => process.send!({ requests: model.requests }));
  process.send!({ endpoint: model.endpoint });
}

async function main() {
  const server = fork(fileURLToPath(import.meta.url), ['serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = () => new Promise<{ endpoint?: string; requests?: number }>((resolve) => server.once('message', resolve));
  const { endpoint } = await ask();
  const requests = async () => {
    const answer = ask();
    server.send('requests?');
    return (await answer).requests!;
  };
  const keys = bookKeys().sort(compareKeys);
  const client = createS3Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });

  const ways: [string, () => AsyncIterable<{ key: string }[]>, StreamInfo][] = [];
  const serialInfo = { how: 'one chain' };
  ways.push(['serial (as aws s3 sync, rclone)', () => listPages(client, 'listing'), serialInfo]);
  const prefixInfo = { how: '' };
  ways.push(['this action, by prefix (other stores)', () => streamBucket(client, 'listing', prefixInfo, { side: 'source', keyRanges: false }), prefixInfo]);
  const rangeInfo = { how: '' };
  ways.push(['this action, key ranges (Amazon S3)', () => streamBucket(client, 'listing', rangeInfo, { side: 'source', keyRanges: true }), rangeInfo]);

  console.log(`${KEYS.toLocaleString('en')} keys under one prefix, model of S3 at ${LATENCY_MS} ms per request`);
  const seconds = new Map<string, number>();
  for (const [name, pages, info] of ways) {
    const requestsBefore = await requests();
    const started = performance.now();
    const cpu = process.cpuUsage();
    let count = 0;
    let previous = '';
    for await (const page of pages()) {
      for (const o of page) {
        if (o.key !== keys[count]) throw new Error(`${name}: key ${count} is ${o.key}, expected ${keys[count]} (previous ${previous})`);
        previous = o.key;
        count++;
      }
    }
    if (count !== keys.length) throw new Error(`${name}: listed ${count} keys, expected ${keys.length}`);
    const s = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    seconds.set(name, s);
    console.log(`  ${name.padEnd(40)} ${s.toFixed(2).padStart(6)} s  ${String((await requests()) - requestsBefore).padStart(5)} requests  ${Math.round(count / s).toLocaleString('en').padStart(9)} keys/s, lister CPU ${cpuSeconds.toFixed(2)} s  (${info.how})`);
  }
  const ranges = seconds.get(ways[2]![0])!;
  console.log(`Ratios (÷ key ranges): serial ${(seconds.get(ways[0]![0])! / ranges).toFixed(2)}×, by prefix ${(seconds.get(ways[1]![0])! / ranges).toFixed(2)}×`);
  client.destroy();
  server.kill();
}

(process.argv[2] === 'serve' ? serveModel() : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
