/**
 * Images refresh benchmark: this action's engine against `aws s3 sync`, `rclone copy` and a raw
 * CopyObject loop, cold (empty target) and as a no-op re-run, on plain loopback and through a
 * proxy adding latency to every request, and against an in-memory MODEL of S3 (bench/s3/model.ts)
 * that answers after the same latency with almost no CPU, the way latency and not the server sets
 * the pace against real S3. See README, "Images refresh".
 *
 *   npm run bench:s3                         # full size: 5,000 + 10 large + 150 excluded
 *   BENCH_OBJECTS=500 npm run bench:s3       # quick check (also: --objects 500)
 *
 * The action runs on Node 24, as on GitHub (BENCH_NODE to choose another binary).
 * Other knobs (env): BENCH_LARGE (10), BENCH_EXCLUDED (150), BENCH_LATENCY_MS (25),
 * BENCH_CONCURRENCY (ours, comma-separated to sweep: "16,32,64,128"), BENCH_TOOLS
 * (ours,stream,aws,rclone,raw), BENCH_CONDITIONS (loopback,latency,model), BENCH_REPEAT (rounds; best
 * of each kept, peak RSS the highest), BENCH_VERBOSE (show the action's listing and progress lines).
 */
import { CopyObjectCommand, CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createS3Client } from '../../src/s3/client.js';
import { diffBuckets } from '../../src/s3/diff.js';
import { compileExclusion, parseExclusions } from '../../src/s3/exclusions.js';
import { listAllObjects, mapLimit } from '../../src/s3/list.js';
import { startProxy } from '../../test/harness/s3-fault-proxy.js';
import { startS3Model, type S3Model } from './model.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const argValue = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const num = (name: string, fallback: number) => Number(argValue(`--${name}`) ?? process.env[`BENCH_${name.toUpperCase()}`] ?? fallback);
const list = (name: string, fallback: string) => (process.env[`BENCH_${name}`] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

const OBJECTS = num('objects', 5000);
const LARGE = num('large', 10);
const EXCLUDED = num('excluded', 150);
const LATENCY_MS = num('latency_ms', 25);
const CONCURRENCIES = list('CONCURRENCY', '64').map(Number);
const TOOLS = list('TOOLS', 'ours,stream,aws,rclone,raw');
const CONDITIONS = list('CONDITIONS', 'loopback,latency,model');
const REPEAT = num('repeat', 1);
const EXCLUDE_PREFIXES = ['lambda/', 'deploy/', 'data-import/', 'listings/'];
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

interface Result {
  condition: string;
  tool: string;
  cold: number;
  noop: number;
  rssMb?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function startS3rver(dir: string) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--openssl-legacy-provider', path.join(root, 'test/harness/s3rver-process.cjs'), String(port), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

/** Deterministic pseudo-random sizes, so every run copies the same bytes. */
function* sizes(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x;
  }
}

interface SeedObject {
  key: string;
  size: number;
  type: string;
}

function seedObjects(): SeedObject[] {
  const random = sizes(42);
  const objects: SeedObject[] = [];
  for (let i = 1; i <= OBJECTS; i++) objects.push({ key: `books/${i}/cover.jpg`, size: 20_000 + (random.next().value! % 100_000), type: 'image/jpeg' });
  for (let i = 1; i <= LARGE; i++) objects.push({ key: `books/scans/${i}.tiff`, size: 8 * 1024 * 1024, type: 'image/tiff' });
  for (let i = 0; i < EXCLUDED; i++) {
    objects.push({ key: `${EXCLUDE_PREFIXES[i % EXCLUDE_PREFIXES.length]}${i}/file.bin`, size: 5_000 + (random.next().value! % 50_000), type: 'application/octet-stream' });
  }
  return objects;
}

let seedPattern: Buffer | undefined;
/** The bytes of the i-th seeded object: a slice of one shared pattern. */
function seedBody(o: SeedObject, i: number): Buffer {
  if (!seedPattern) {
    seedPattern = Buffer.alloc(9 * 1024 * 1024);
    for (let j = 0; j < seedPattern.length; j++) seedPattern[j] = (j * 7919) % 251;
  }
  return seedPattern.subarray(i % 1000, (i % 1000) + o.size);
}

async function seed(client: S3Client, bucket: string): Promise<{ objects: number; bytes: number }> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const objects = seedObjects();
  await mapLimit(objects, 32, (o, i) =>
    client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: o.key,
        Body: seedBody(o, i),
        ContentType: o.type,
        CacheControl: 'max-age=86400',
        Metadata: { seq: String(i) },
      }),
    ),
  );
  return { objects: objects.length, bytes: objects.reduce((sum, o) => sum + o.size, 0) };
}

/** The same objects, put straight into the model's memory. */
function seedModel(model: S3Model, bucket: string): void {
  model.createBucket(bucket);
  seedObjects().forEach((o, i) => model.putObject(bucket, o.key, seedBody(o, i), { 'content-type': o.type, 'cache-control': 'max-age=86400', 'x-amz-meta-seq': String(i) }));
}

let bucketCounter = 0;
const newBucketName = (tool: string) => `bench-${tool}-${process.pid}-${++bucketCounter}`.slice(0, 63).toLowerCase();

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

const VERBOSE = Boolean(process.env.BENCH_VERBOSE);

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', VERBOSE ? 'pipe' : 'ignore', 'pipe'] });
    let stderr = '';
    child.stdout?.on('data', (d) => process.stdout.write(String(d).split('\n').filter((l) => /Listed|Copying|copied|objects,/.test(l)).map((l) => `    | ${l}\n`).join('')));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

async function must(label: string, result: Promise<{ code: number; stderr: string }>): Promise<string> {
  const { code, stderr } = await result;
  if (code !== 0) throw new Error(`${label} exited with ${code}:\n${stderr.slice(-2000)}`);
  return stderr;
}

function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_') || key.startsWith('INPUT_') || key.startsWith('GITHUB_')) delete env[key];
  return { ...env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1' };
}

/**
 * The Node that runs the action here: GitHub runs it on Node 24 (action.yml), so the bench does
 * too — `BENCH_NODE`, else scripts/node24.sh (as .ci/run), else this process's Node.
 */
function actionNode(): string {
  if (process.env.BENCH_NODE) return process.env.BENCH_NODE;
  try {
    return execFileSync('bash', [path.join(root, 'scripts', 'node24.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return process.execPath;
  }
}

let ACTION_NODE = process.execPath;

/** This action's engine: the built bundle, run the way a runner runs it; peak RSS by /usr/bin/time. */
async function runOurs(entry: string, endpoint: string, source: string, target: string, method: string, concurrency: number) {
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    INPUT_MODE: 'images-only',
    INPUT_CONFIRM: 'staging',
    'INPUT_SOURCE-BUCKET': source,
    'INPUT_TARGET-BUCKET': target,
    'INPUT_S3-ENDPOINT': endpoint,
    'INPUT_COPY-METHOD': method,
    INPUT_CONCURRENCY: String(concurrency),
  };
  const useTime = existsSync('/usr/bin/time');
  const stderr = await must(
    `action (${method})`,
    useTime ? run('/usr/bin/time', ['-f', 'MAXRSS_KB %M', ACTION_NODE, entry], env) : run(ACTION_NODE, [entry], env),
  );
  const rss = /MAXRSS_KB (\d+)/.exec(stderr);
  return rss ? Number(rss[1]) / 1024 : undefined;
}

async function awsSync(aws: string, configFile: string, endpoint: string, source: string, target: string) {
  const excludes = EXCLUDE_PREFIXES.flatMap((p) => ['--exclude', `${p}*`]);
  await must('aws s3 sync', run(aws, ['s3', 'sync', `s3://${source}`, `s3://${target}`, '--endpoint-url', endpoint, '--only-show-errors', ...excludes], { ...baseEnv(), AWS_CONFIG_FILE: configFile }));
}

async function rcloneCopy(endpoint: string, source: string, target: string) {
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
  };
  delete env.AWS_CA_BUNDLE; // rclone 1.60 refuses to start with it set
  const excludes = EXCLUDE_PREFIXES.flatMap((p) => ['--exclude', `/${p}**`]);
  await must('rclone copy', run('rclone', ['copy', `bench:${source}`, `bench:${target}`, '--transfers', '32', '--checkers', '32', '--fast-list', ...excludes], env));
}

/** The raw limit: list, then CopyObject every non-excluded key at concurrency 64; no diff. */
async function rawCopy(endpoint: string, source: string, target: string, noop: boolean) {
  const client = createS3Client({ region: 'us-east-1', endpoint, credentials: CREDENTIALS });
  const rules = parseExclusions(EXCLUDE_PREFIXES.join('\n')).map(compileExclusion);
  if (noop) {
    // A no-op costs at least listing both sides and comparing.
    const [s, t] = await Promise.all([listAllObjects(client, source), listAllObjects(client, target)]);
    diffBuckets(s, t, rules);
    return;
  }
  const objects = (await listAllObjects(client, source)).filter((o) => !rules.some((r) => r.test(o.key)));
  await mapLimit(objects, 64, (o) =>
    client.send(new CopyObjectCommand({ Bucket: target, Key: o.key, CopySource: `${source}/${o.key.split('/').map(encodeURIComponent).join('/')}`, MetadataDirective: 'COPY' })),
  );
  client.destroy();
}

function version(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'p2s-bench-s3-'));
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`Load average at start: ${load()} (${(await readFile('/proc/cpuinfo', 'utf8')).match(/^processor/gm)?.length ?? '?'} cores)`);

  ACTION_NODE = actionNode();
  console.log(`This action runs on Node ${execFileSync(ACTION_NODE, ['--version'], { encoding: 'utf8' }).trim()} (${ACTION_NODE === process.execPath ? 'this process' : ACTION_NODE}).`);
  const aws = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : undefined;
  const awsVersion = aws && version(aws, ['--version']);
  const rcloneVersion = version('rclone', ['version']);
  console.log(`aws: ${awsVersion ?? 'not found (apt-get install awscli)'}; rclone: ${rcloneVersion ?? 'not found (apt-get install rclone)'}`);
  const awsConfig = path.join(work, 'aws-config');
  // s3rver does not implement UploadPartCopy, which the CLI uses above its multipart threshold.
  await writeFile(awsConfig, '[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 64MB\n');

  const entry = process.env.BENCH_ENTRY ?? path.join(root, '.tmp', 'bench-s3-dist', 'index.js');
  if (!process.env.BENCH_ENTRY) {
    console.log('Building the action bundle (ncc)…');
    try {
      execFileSync(process.execPath, [path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'), 'build', 'src/index.ts', '-o', path.dirname(entry)], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      if (!existsSync(entry)) throw error;
      console.log(`The build failed (${String((error as { stderr?: unknown }).stderr ?? error).split('\n')[0]}); using the previous bundle ${entry}.`);
    }
  }

  const s3 = await startS3rver(path.join(work, 's3'));
  const results: Result[] = [];
  try {
    const client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint, credentials: CREDENTIALS });
    const source = 'bench-source';
    const seedSeconds = await timed(async () => {
      const seeded = await seed(client, source);
      console.log(`Seeded ${seeded.objects} objects, ${(seeded.bytes / 1e6).toFixed(0)} MB (${EXCLUDED} excluded)`);
    });
    console.log(`Seeding took ${seedSeconds.toFixed(1)} s`);

    for (const condition of CONDITIONS) {
      const proxy = condition === 'latency' ? await startProxy(s3.endpoint, { delayMs: LATENCY_MS }) : undefined;
      const model = condition === 'model' ? await startS3Model({ latencyMs: LATENCY_MS }) : undefined;
      if (model) seedModel(model, source);
      const endpoint = model?.endpoint ?? proxy?.endpoint ?? s3.endpoint;
      const label = condition === 'latency' ? `+${LATENCY_MS} ms per request` : condition === 'model' ? `model, ${LATENCY_MS} ms` : 'loopback';
      const tools: [string, (target: string, noop: boolean) => Promise<number | undefined | void>][] = [];
      for (const c of CONCURRENCIES) {
        const suffix = CONCURRENCIES.length > 1 ? ` c=${c}` : '';
        if (TOOLS.includes('ours')) tools.push([`ours (server-side)${suffix}`, (t) => runOurs(entry, endpoint, source, t, 'server-side', c)]);
        if (TOOLS.includes('stream')) tools.push([`ours (stream)${suffix}`, (t) => runOurs(entry, endpoint, source, t, 'stream', c)]);
      }
      if (TOOLS.includes('aws') && aws) tools.push(['aws s3 sync', (t) => awsSync(aws, awsConfig, endpoint, source, t)]);
      if (TOOLS.includes('rclone') && rcloneVersion) tools.push(['rclone copy', (t) => rcloneCopy(endpoint, source, t)]);
      if (TOOLS.includes('raw')) tools.push(['raw CopyObject loop', (t, noop) => rawCopy(endpoint, source, t, noop)]);

      // Rounds interleave the tools, so a burst of load from elsewhere hits all of them alike;
      // each tool keeps its best round.
      for (let round = 1; round <= REPEAT; round++) {
        for (const [tool, fn] of tools) {
          const target = newBucketName(tool.replace(/[^a-z0-9]+/gi, '-'));
          if (model) model.createBucket(target);
          else await client.send(new CreateBucketCommand({ Bucket: target }));
          let rss: number | undefined;
          const cold = await timed(async () => {
            rss = (await fn(target, false)) ?? undefined;
          });
          if (model) {
            // The model checks nothing: make sure the tool copied what it should have.
            const copied = model.contents(target);
            const expected = seedObjects().filter((o) => !EXCLUDE_PREFIXES.some((p) => o.key.startsWith(p)));
            const expectedBytes = expected.reduce((sum, o) => sum + o.size, 0);
            if (copied.objects !== expected.length || copied.bytes !== expectedBytes) {
              throw new Error(`${tool} left ${copied.objects} objects (${copied.bytes} B) in the model's target, not ${expected.length} (${expectedBytes} B)`);
            }
          }
          const noop = await timed(() => fn(target, true));
          console.log(`  ${label.padEnd(20)} ${tool.padEnd(28)} cold ${cold.toFixed(1).padStart(6)} s   no-op ${noop.toFixed(1).padStart(5)} s${rss ? `   peak RSS ${rss.toFixed(0)} MB` : ''}   (round ${round}, load ${load()})`);
          const best = results.find((r) => r.condition === label && r.tool === tool);
          if (!best) results.push({ condition: label, tool, cold, noop, rssMb: rss });
          else Object.assign(best, { cold: Math.min(best.cold, cold), noop: Math.min(best.noop, noop), rssMb: Math.max(best.rssMb ?? 0, rss ?? 0) || undefined });
          await rm(path.join(work, 's3', target), { recursive: true, force: true }); // keep the disk small
        }
      }
      await proxy?.close();
      if (model) {
        if (model.unknown.size > 0) console.log(`  (the model answered NotImplemented to: ${[...model.unknown].map(([what, n]) => `${what} ×${n}`).join(', ')})`);
        await model.close();
      }
    }
  } finally {
    s3.stop();
  }

  console.log(`\nBest of ${REPEAT} round(s). Ratios (tool ÷ ours server-side; > 1 means ours is faster), and ours ÷ raw limit:`);
  for (const condition of [...new Set(results.map((r) => r.condition))]) {
    const rows = results.filter((r) => r.condition === condition);
    const ours = rows.find((r) => r.tool.startsWith('ours (server-side)'));
    const raw = rows.find((r) => r.tool === 'raw CopyObject loop');
    console.log(`${condition}:`);
    for (const r of rows) {
      if (!ours || r === ours) continue;
      console.log(`  ${r.tool.padEnd(28)} cold ${(r.cold / ours.cold).toFixed(2)}×   no-op ${(r.noop / ours.noop).toFixed(2)}×`);
    }
    if (ours && raw) console.log(`  ours ÷ raw limit             cold ${(ours.cold / raw.cold).toFixed(2)}×   no-op ${(ours.noop / raw.noop).toFixed(2)}×`);
    for (const r of rows.filter((r) => r.rssMb)) console.log(`  peak RSS ${r.tool}: ${r.rssMb!.toFixed(0)} MB`);
  }
  console.log(`Load average at end: ${load()}`);
  await rm(work, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
