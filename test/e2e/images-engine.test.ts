import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/s3/client.js';
import type { CopyLimits } from '../../src/s3/copy.js';
import { diffBuckets } from '../../src/s3/diff.js';
import { copyAll } from '../../src/s3/engine.js';
import { listBucket } from '../../src/s3/list.js';
import { bucketSnapshot, newBucket, S3_ENV, s3Endpoint, testS3Client } from '../harness/servers.js';

// The engine's large-object paths, with S3's size limits scaled down so a few hundred KB take
// them: multipart streamed uploads, and part copies (which s3rver answers with NotImplemented).
const SMALL_LIMITS: CopyLimits = { maxSingleCopyBytes: 100_000, partCopyBytes: 64_000, streamMultipartThreshold: 100_000, streamPartBytes: 64_000 };

const client = () =>
  createS3Client({
    region: 'us-east-1',
    endpoint: s3Endpoint(),
    credentials: { accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY },
  });

async function seed() {
  const big = (n: number) => Buffer.from(Array.from({ length: 300_000 + n * 7 }, (_, i) => (i * 31 + n) % 251));
  const source = await newBucket('prod-big', [
    { key: 'books/1/small.jpg', body: 'small', contentType: 'image/jpeg' },
    { key: 'books/2/tiny.jpg', body: '', contentType: 'image/jpeg' },
  ]);
  for (const n of [1, 2]) {
    await testS3Client().send(
      new PutObjectCommand({ Bucket: source, Key: `books/${n}/scan ${n}.tiff`, Body: big(n), ContentType: 'image/tiff', CacheControl: 'max-age=60', Metadata: { n: String(n) } }),
    );
  }
  return source;
}

async function plan(source: string, target: string) {
  const [s, t] = await Promise.all([listBucket(client(), source), listBucket(client(), target)]);
  return diffBuckets(s.objects, t.objects, []).toCopy;
}

describe('large objects', () => {
  it('streams them in parts and keeps bytes and headers', async () => {
    const source = await seed();
    const target = await newBucket('stage-big');
    const lines: string[] = [];
    const outcome = await copyAll(await plan(source, target), { client: client(), bucket: source }, { client: client(), bucket: target }, {
      method: 'stream',
      concurrency: 4,
      limits: SMALL_LIMITS,
      log: (line) => lines.push(line),
    });
    expect(outcome.failures).toEqual([]);
    expect(outcome.copiedObjects).toBe(4);
    expect(await bucketSnapshot(target)).toEqual(await bucketSnapshot(source));
    const head = await testS3Client().send(new HeadObjectCommand({ Bucket: target, Key: 'books/2/scan 2.tiff' }));
    expect({ type: head.ContentType, cache: head.CacheControl, meta: head.Metadata }).toEqual({ type: 'image/tiff', cache: 'max-age=60', meta: { n: '2' } });
  });

  it('falls back to streaming, saying so once, when the store refuses part copies', async () => {
    const source = await seed();
    const target = await newBucket('stage-big');
    const lines: string[] = [];
    const outcome = await copyAll(await plan(source, target), { client: client(), bucket: source }, { client: client(), bucket: target }, {
      method: 'server-side',
      concurrency: 1,
      limits: SMALL_LIMITS,
      log: (line) => lines.push(line),
    });
    expect(outcome.failures).toEqual([]);
    expect(outcome.streamedAfterFallback).toBe(2);
    expect(lines.filter((l) => l.includes('NotImplemented'))).toHaveLength(1);
    expect(await bucketSnapshot(target)).toEqual(await bucketSnapshot(source));
  });

  it('logs progress with objects, bytes, rate and time left while copying', async () => {
    const source = await seed();
    const target = await newBucket('stage-big');
    const lines: string[] = [];
    await copyAll(await plan(source, target), { client: client(), bucket: source }, { client: client(), bucket: target }, {
      method: 'stream',
      concurrency: 1,
      limits: SMALL_LIMITS,
      log: (line) => lines.push(line),
      progressEveryMs: 5,
    });
    expect(lines.some((l) => /of 4 objects, .* of .* \(\d+%\), .*\/s, .* objects\/s, (about .* left|time left unknown yet)/.test(l))).toBe(true);
  });
});
