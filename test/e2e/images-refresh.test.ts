import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../harness/s3-fault-proxy.js';
import type { SeedObject } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { bucketSnapshot, newBucket, S3_ENV, s3Endpoint, testS3Client } from '../harness/servers.js';

// Production: a few hundred images with varied headers, keys with spaces and non-ASCII, objects
// under every default excluded prefix, and a few objects uploaded in parts.
const CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/json'];
function productionObjects(): SeedObject[] {
  const objects: SeedObject[] = [];
  for (let id = 1; id <= 240; id++) {
    const type = CONTENT_TYPES[id % CONTENT_TYPES.length]!;
    objects.push({ key: `books/${id}/cover.${type.split('/')[1]}`, body: `cover ${id} `.repeat(10 + (id % 50)), contentType: type, metadata: { 'book-id': String(id) } });
  }
  objects.push({ key: 'books/7/back cover.jpg', body: 'a key with a space', contentType: 'image/jpeg' });
  objects.push({ key: 'books/8/Überschrift – 表紙.jpg', body: 'non-ASCII key', contentType: 'image/jpeg', metadata: { lang: 'de' } });
  objects.push({ key: 'top-level.txt', body: 'a key without a folder', contentType: 'text/plain' });
  for (const key of ['lambda/api.zip', 'lambda/v2/worker.zip', 'deploy/layer.zip', 'data-import/2025-12.csv', 'listings/ebay-1.json', 'listings/x/ebay-2.json']) {
    objects.push({ key, body: `not an image: ${key}`, contentType: 'application/octet-stream' });
  }
  return objects;
}
const EXCLUDED_IN_SOURCE = 6;
const MULTIPART_KEYS = ['books/500/scan.tiff', 'books/501/scan.tiff'];
/** Objects with the less common headers; put separately because the shared fixture does not set them. */
const HEADERED: ({ key: string } & Omit<PutObjectCommandInput, 'Bucket' | 'Key'>)[] = [
  { key: 'books/600/page.jpg.gz', ContentType: 'image/jpeg', ContentEncoding: 'gzip', CacheControl: 'max-age=31536000, immutable', ContentDisposition: 'inline; filename="page.jpg"', Metadata: { origin: 'scanner-2' } },
  { key: 'books/601/download.pdf', ContentType: 'application/pdf', CacheControl: 'no-cache', ContentDisposition: 'attachment; filename="book.pdf"', Metadata: { pages: '312', 'scanned-by': 'ana' } },
];

async function seedProduction(bucket: string): Promise<void> {
  const client = testS3Client();
  for (const [n, key] of MULTIPART_KEYS.entries()) {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'image/tiff', Metadata: { parts: '3' } }));
    const parts = [];
    for (let part = 1; part <= 3; part++) {
      const body = Buffer.alloc(70_000 + n * 1000, `${key}:${part}|`);
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: part, Body: body }));
      parts.push({ PartNumber: part, ETag });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  }
  for (const { key, ...headers } of HEADERED) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(5000, key), ...headers }));
  }
}

// Staging: stale versions (other size, and same size with other bytes), staging-only objects,
// and staging objects under excluded prefixes (never deleted).
function stagingObjects(): SeedObject[] {
  return [
    { key: 'books/1/cover.png', body: 'stale and shorter', contentType: 'image/png' },
    { key: 'books/2/cover.webp', body: 'cover 2 '.repeat(12).replace('2', '9'), contentType: 'image/webp' },
    { key: 'books/3/cover.json', body: 'cover 3 '.repeat(13), contentType: 'application/json', metadata: { 'book-id': '3' } },
    { key: 'books/999/old.jpg', body: 'only on staging', contentType: 'image/jpeg' },
    { key: 'qa/upload test.png', body: 'uploaded by QA', contentType: 'image/png' },
    { key: 'lambda/staging-api.zip', body: 'staging deploy package', contentType: 'application/zip' },
  ];
}
const STAGING_ONLY = ['books/999/old.jpg', 'qa/upload test.png'];

let sourceBucket: string;
let sourceSnapshot: Record<string, string>;

beforeAll(async () => {
  sourceBucket = await newBucket('prod-img', productionObjects());
  await seedProduction(sourceBucket);
  sourceSnapshot = await bucketSnapshot(sourceBucket);
});

const newTarget = () => newBucket('stage-img', stagingObjects());
const refresh = (target: string, inputs: Record<string, string> = {}, source = sourceBucket) =>
  runAction(
    { mode: 'images-only', 'source-bucket': source, 'target-bucket': target, 's3-endpoint': s3Endpoint(), confirm: 'staging', ...inputs },
    { env: S3_ENV },
  );

const isExcluded = (key: string) => /^(lambda|deploy|data-import|listings)\//.test(key);
/** What staging must hold after a refresh without delete: production's copyable objects, plus its own. */
async function expectedAfterRefresh(target: string): Promise<Record<string, string>> {
  const before = await bucketSnapshot(target);
  const expected: Record<string, string> = {};
  for (const [key, bytes] of Object.entries(before)) expected[key] = bytes;
  for (const [key, bytes] of Object.entries(sourceSnapshot)) if (!isExcluded(key)) expected[key] = bytes;
  return expected;
}

async function headers(bucket: string, key: string) {
  const h = await testS3Client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return {
    ContentType: h.ContentType,
    CacheControl: h.CacheControl,
    ContentDisposition: h.ContentDisposition,
    ContentEncoding: h.ContentEncoding,
    Metadata: h.Metadata,
  };
}
const HEADER_KEYS = [...HEADERED.map((h) => h.key), ...MULTIPART_KEYS, 'books/8/Überschrift – 表紙.jpg', 'books/4/cover.jpeg', 'books/5/cover.png'];

describe('images refresh (server-side copy, the default with one set of credentials)', () => {
  let target: string;
  let expected: Record<string, string>;
  let first: Awaited<ReturnType<typeof refresh>>;

  beforeAll(async () => {
    target = await newTarget();
    expected = await expectedAfterRefresh(target);
    first = await refresh(target);
  });

  it('leaves staging with exactly production’s copyable keys and bytes, plus its own objects', async () => {
    expect(first.exitCode, first.log).toBe(0);
    expect(await bucketSnapshot(target)).toEqual(expected);
  });

  it('reports what it did in the outputs and the summary', () => {
    const copyable = Object.keys(sourceSnapshot).length - EXCLUDED_IN_SOURCE;
    // books/3 is identical in staging already; books/1 and books/2 are stale.
    expect(first.outputs).toMatchObject({
      status: 'synced',
      'objects-copied': String(copyable - 1),
      'objects-skipped': '1',
      'objects-excluded': String(EXCLUDED_IN_SOURCE),
      'objects-deleted': '0',
    });
    expect(Number(first.outputs['bytes-copied'])).toBeGreaterThan(400_000);
    expect(first.summary).toContain('### Images');
    expect(first.summary).toContain(`| copied | ${copyable - 1} |`);
    expect(first.summary).toMatch(/\| only in staging: kept \(`delete` is off\) \| 2 \|/);
    expect(first.summary).toMatch(/Copied in .* · method: server-side · concurrency: 64/);
  });

  it('keeps content types, cache-control, content-disposition, content-encoding and user metadata', async () => {
    for (const key of HEADER_KEYS) expect(await headers(target, key), key).toEqual(await headers(sourceBucket, key));
  });

  it('never copies excluded keys and keeps staging-only objects (delete is off)', async () => {
    const keys = Object.keys(await bucketSnapshot(target));
    expect(keys.filter(isExcluded)).toEqual(['lambda/staging-api.zip']);
    for (const key of STAGING_ONLY) expect(keys).toContain(key);
  });

  it('a second run right after copies nothing', async () => {
    const second = await refresh(target);
    expect(second.exitCode, second.log).toBe(0);
    expect(second.outputs['objects-copied']).toBe('0');
    expect(second.outputs['objects-skipped']).toBe(String(Object.keys(sourceSnapshot).length - EXCLUDED_IN_SOURCE));
    expect(await bucketSnapshot(target)).toEqual(expected);
  });
});

describe('copy methods', () => {
  it('stream produces the same bytes, headers and metadata as server-side', async () => {
    const [serverSide, streamed] = await Promise.all([newTarget(), newTarget()]);
    const [a, b] = await Promise.all([refresh(serverSide, { 'copy-method': 'server-side' }), refresh(streamed, { 'copy-method': 'stream', concurrency: '8' })]);
    expect(a.exitCode, a.log).toBe(0);
    expect(b.exitCode, b.log).toBe(0);
    expect(b.summary).toContain('method: stream');
    // Bytes, not sizes: a store that keeps a streamed upload's framing would still report success.
    const streamedSnapshot = await bucketSnapshot(streamed);
    expect(streamedSnapshot).toEqual(await bucketSnapshot(serverSide));
    expect(streamedSnapshot).toEqual(await expectedAfterRefresh(streamed));
    for (const key of HEADER_KEYS) expect(await headers(streamed, key), key).toEqual(await headers(sourceBucket, key));
  });
});

describe('what is copied again', () => {
  it('copies a production object changed to the same size, and only that', async () => {
    const source = await newBucket('prod-small', [
      { key: 'books/1/cover.jpg', body: 'AAAA-version-1', contentType: 'image/jpeg' },
      { key: 'books/2/cover.jpg', body: 'unchanged', contentType: 'image/jpeg' },
    ]);
    const target = await newBucket('stage-small');
    expect((await refresh(target, {}, source)).outputs['objects-copied']).toBe('2');
    await testS3Client().send(new PutObjectCommand({ Bucket: source, Key: 'books/1/cover.jpg', Body: 'BBBB-version-2', ContentType: 'image/jpeg' }));
    const again = await refresh(target, {}, source);
    expect(again.exitCode, again.log).toBe(0);
    expect(again.outputs['objects-copied']).toBe('1');
    expect(again.outputs['objects-skipped']).toBe('1');
    expect(Buffer.from((await bucketSnapshot(target))['books/1/cover.jpg']!, 'base64').toString()).toBe('BBBB-version-2');
  });
});

describe('delete', () => {
  it('removes only staging-only keys that no exclusion protects', async () => {
    const target = await newTarget();
    const result = await refresh(target, { delete: 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['objects-deleted']).toBe('2');
    const keys = Object.keys(await bucketSnapshot(target));
    for (const key of STAGING_ONLY) expect(keys).not.toContain(key);
    expect(keys).toContain('lambda/staging-api.zip');
    expect(result.summary).toMatch(/\| deleted \(only in staging\) \| 2 \|/);
  });

  it('the max-delete guard fails before anything is copied or deleted, with the number', async () => {
    const target = await newTarget();
    const before = await bucketSnapshot(target);
    const result = await refresh(target, { delete: 'true', 'max-delete': '1' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toContain('would delete 2 objects, more than `max-delete` (1)');
    expect(result.summary).toContain('staging is unchanged (the run stopped before copying or deleting anything)');
    expect(await bucketSnapshot(target)).toEqual(before);
  });
});

describe('dry run', () => {
  it('lists and diffs, reports what would happen with the first keys, and writes nothing', async () => {
    const target = await newTarget();
    const before = await bucketSnapshot(target);
    const result = await refresh(target, { 'dry-run': 'true', delete: 'true', 'max-delete': '1' });
    expect(result.exitCode, result.log).toBe(0);
    expect(await bucketSnapshot(target)).toEqual(before);
    expect(result.outputs).toMatchObject({ status: 'dry-run', 'objects-copied': '0', 'objects-deleted': '0', 'objects-excluded': '6', 'objects-skipped': '1' });
    expect(result.summary).toContain('| would be copied | 246 |');
    expect(result.summary).toMatch(/\| would be deleted \(only in staging\) \| 2 \|/);
    expect(result.summary).toContain('<summary>Would copy: 246 objects');
    expect(result.summary).toContain('- … and 226 more');
    expect(result.summary).toContain('<summary>Excluded: 6 objects');
    expect(result.summary).toContain('- `lambda/api.zip`');
    expect(result.summary).toContain('- `qa/upload test.png`');
    // The guard is announced on the dry run, so the real run holds no surprise.
    expect(result.summary).toContain('A real run would stop before copying');
  });
});

describe('failures', () => {
  it('an object removed between listing and copy fails the run, naming it, while the others are copied', async () => {
    const source = await newBucket('prod-gone', [
      ...Array.from({ length: 30 }, (_, i) => ({ key: `books/${i}/cover.jpg`, body: `cover ${i}`, contentType: 'image/jpeg' })),
      { key: 'books/gone/cover.jpg', body: 'deleted in production mid-run' },
    ]);
    const target = await newBucket('stage-gone');
    let removed = false;
    // The copy phase starts with the first request that is not a listing: remove the object then.
    const proxy = await startProxy(s3Endpoint(), {
      beforeForward: async (req) => {
        if (removed || req.method === 'HEAD' || /[?&]list-type=2/.test(req.url ?? '')) return;
        removed = true;
        await testS3Client().send(new DeleteObjectCommand({ Bucket: source, Key: 'books/gone/cover.jpg' }));
      },
    });
    try {
      for (const method of ['server-side', 'stream']) {
        removed = false;
        await testS3Client().send(new PutObjectCommand({ Bucket: source, Key: 'books/gone/cover.jpg', Body: 'deleted in production mid-run' }));
        const result = await refresh(target, { 's3-endpoint': proxy.endpoint, 'copy-method': method }, source);
        expect(result.exitCode, result.log).toBe(1);
        expect(result.outputs.status).toBe('failed');
        expect(result.log).toContain('1 objects could not be copied');
        expect(result.log).toContain("`books/gone/cover.jpg`: no longer in production's bucket");
        expect(result.summary).toContain('partly refreshed: 30 objects copied');
        expect(Object.keys(await bucketSnapshot(target)).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `books/${i}/cover.jpg`).sort());
        await Promise.all(Array.from({ length: 30 }, (_, i) => testS3Client().send(new DeleteObjectCommand({ Bucket: target, Key: `books/${i}/cover.jpg` }))));
      }
    } finally {
      await proxy.close();
    }
  });
});

describe('throttling', () => {
  it('retries SlowDown answers and still copies every object', async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `books/${i}/cover.jpg`);
    const source = await newBucket('prod-slow', keys.map((key) => ({ key, body: `bytes of ${key}` })));
    const refusals = new Map<string, number>();
    const slowDown = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
    // Every copy or download is refused twice before the server lets it through.
    const proxy = await startProxy(s3Endpoint(), {
      intercept: (req) => {
        if (req.method === 'HEAD' || /[?&]list-type=2/.test(req.url ?? '') || !req.url?.includes('/books/')) return undefined;
        const seen = refusals.get(req.url) ?? 0;
        refusals.set(req.url, seen + 1);
        return seen < 2 ? { status: 503, body: slowDown } : undefined;
      },
    });
    try {
      for (const method of ['server-side', 'stream']) {
        refusals.clear();
        const target = await newBucket('stage-slow');
        const result = await refresh(target, { 's3-endpoint': proxy.endpoint, 'copy-method': method, concurrency: '16' }, source);
        expect(result.exitCode, result.log).toBe(0);
        expect(result.outputs['objects-copied']).toBe('16');
        // Each write to the target was refused twice, then went through.
        const writes = [...refusals].filter(([url]) => url.includes(target));
        expect(writes.map(([, n]) => n >= 3)).toEqual(keys.map(() => true));
        expect(await bucketSnapshot(target)).toEqual(await bucketSnapshot(source));
      }
    } finally {
      await proxy.close();
    }
  });
});

describe('exclusions', () => {
  it('honours prefixes, globs, ** and comments as documented', async () => {
    const keys = ['a.tmp', 'books/a.tmp', 'books/1/a.tmp', 'books/1/keep.jpg', 'cache/x.jpg', 'cache/deep/y.jpg', 'books/cache/z.jpg', 'thumbs/1.jpg', 'thumbs/1/2.jpg'];
    const source = await newBucket('prod-excl', keys.map((key) => ({ key, body: key })));
    const target = await newBucket('stage-excl');
    const exclusions = ['# temporary files anywhere', '**/*.tmp', '', 'cache/', 'thumbs/*.jpg'].join('\n');
    const result = await refresh(target, { exclusions }, source);
    expect(result.exitCode, result.log).toBe(0);
    expect(Object.keys(await bucketSnapshot(target)).sort()).toEqual(['books/1/keep.jpg', 'books/cache/z.jpg', 'thumbs/1/2.jpg']);
    expect(result.outputs['objects-excluded']).toBe('6');
  });
});

describe('listing', () => {
  it('finds every key of a bucket larger than one page, nested two levels deep', async () => {
    // More than 1,000 keys, all at least two levels below their top-level prefix: the shape a
    // delimiter-listing bug loses silently.
    const objects = Array.from({ length: 1150 }, (_, i) => ({ key: `${['books', 'covers', 'avatars'][i % 3]}/${i}/img.jpg`, body: `${i}` }));
    objects.push({ key: 'root.txt', body: 'root' });
    const source = await newBucket('prod-many', objects);
    const target = await newBucket('stage-many');
    const result = await refresh(target, { 'dry-run': 'true' }, source);
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('1,151 objects');
    expect(result.log).toMatch(/Listed production's bucket .*: 1,151 objects in .* \(3 top-level prefixes in parallel\)/);
    expect(result.summary).toContain('| would be copied | 1,151 |');
  });
});
