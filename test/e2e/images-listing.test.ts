import { beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/s3/client.js';
import { boundsAfter } from '../../src/s3/key-ranges.js';
import { listAllObjects, streamBucket, type ObjectEntry, type StreamInfo } from '../../src/s3/list.js';
import { startS3Model } from '../../bench/s3/model.js';
import type { SeedObject } from '../harness/fixtures.js';
import { isListing, seededFaults, startProxy } from '../harness/s3-fault-proxy.js';
import { newBucket, S3_ENV, s3Endpoint } from '../harness/servers.js';

/**
 * Against Amazon S3 the streamed listing cuts the key space into ranges listed at once
 * (StartAfter): it must give exactly the keys, in order, that one serial chain of pages gives.
 * The action only cuts ranges for S3 itself (see `listsInS3Order`), so these tests call the
 * listing directly, on a real S3-protocol server with keys it orders as S3 does.
 */

const client = (endpoint: string) =>
  createS3Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY } });

async function streamed(endpoint: string, bucket: string, maxChains?: number) {
  const info: StreamInfo = { how: '' };
  const keys: string[] = [];
  for await (const page of streamBucket(client(endpoint), bucket, info, { side: 'source', keyRanges: true, maxChains })) keys.push(...page.map((o: ObjectEntry) => o.key));
  return { keys, how: info.how };
}

describe('the streamed listing in key ranges', () => {
  const objects: SeedObject[] = [];
  for (let i = 1; i <= 2600; i++) objects.push({ key: `books/${i}/cover.jpg`, body: `${i}` });
  for (let i = 0; i < 300; i++) objects.push({ key: `images/${((i * 2654435761) >>> 0).toString(16)}/o.png`, body: `${i}` });
  objects.push({ key: 'index.txt', body: 'top level' });
  let bucket = '';
  let serial: string[] = [];
  beforeAll(async () => {
    bucket = await newBucket('list-ranges', objects);
    serial = (await listAllObjects(client(s3Endpoint()), bucket)).map((o) => o.key);
  }, 120_000);

  it('lists every key of a bucket of several pages once, in order, like a serial listing (s3rver)', async () => {
    expect(serial.length).toBe(objects.length);
    for (const maxChains of [16, 2]) {
      const { keys, how } = await streamed(s3Endpoint(), bucket, maxChains);
      expect(keys.length).toBe(objects.length);
      expect(keys).toEqual(serial);
      expect(how).toMatch(new RegExp(`^\\d+ key ranges, up to ${maxChains} listed at a time$`));
    }
  });

  it('retries throttled range requests and still lists every key exactly once', async () => {
    const proxy = await startProxy(s3Endpoint(), { faults: seededFaults(14, { 'slow-down': 0.3 }, isListing) });
    try {
      expect((await streamed(proxy.endpoint, bucket)).keys).toEqual(serial);
      expect(proxy.injected['slow-down']).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it('fails with the server\'s error when a range is refused, never with a shorter list', async () => {
    const refused = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
    const proxy = await startProxy(s3Endpoint(), { intercept: (req) => (/start-after=b%7B/.test(req.url ?? '') ? { status: 403, body: refused } : undefined) });
    try {
      const listing = streamed(proxy.endpoint, bucket);
      await expect(listing).rejects.toMatchObject({ name: 'AccessDenied' });
    } finally {
      await proxy.close();
    }
  });

  it('keeps keys that equal a cut exactly, non-ASCII keys and keys above every cut (S3 model: S3 order for any key)', async () => {
    // s3rver cannot list these in S3's order ('books/6' after 'books/6/…'), so this runs against
    // bench/s3/model.ts, which keeps S3's UTF-8 order (a model: nothing else here is checked).
    const model = await startS3Model({ latencyMs: 0 });
    try {
      model.createBucket('cuts');
      const base = Array.from({ length: 3000 }, (_, i) => `books/${i + 1}/cover.jpg`);
      const firstPage = [...base].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).slice(0, 1000);
      // The open end's bounds come from the first page; keys equal to them sort after it.
      const atCuts = [...boundsAfter(firstPage[0]!, firstPage.at(-1)!, 15), ...'0123456789'.split('').map((d) => `books/${d}`), 'books/6', 'bu'];
      const odd = ['books/é/1', 'books/😀', 'books/\uffee', 'z', '~', '\u{10fffe}', 'books/1899/cover.jpg0'];
      const all = [...new Set([...base, ...atCuts, ...odd])];
      for (const key of all) model.putObject('cuts', key, Buffer.from(key));
      const expected = [...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

      for (const maxChains of [16, 3]) {
        const { keys } = await streamed(model.endpoint, 'cuts', maxChains);
        expect(keys).toEqual(expected);
      }
    } finally {
      await model.close();
    }
  });
});
