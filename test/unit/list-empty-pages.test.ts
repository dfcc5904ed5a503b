import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/s3/client.js';
import { listBucket, streamBucket, type StreamInfo } from '../../src/s3/list.js';
import { compareKeys } from '../../src/s3/merge.js';

/**
 * S3 may answer a ListObjectsV2 page with fewer keys than asked for, even none, with IsTruncated
 * true. A listing must go on to the next page instead of taking the bucket for empty. A small
 * server speaking ListObjectsV2 answers every listing's first request so.
 */

const KEYS = Array.from({ length: 2500 }, (_, i) => `books/${i + 1}/cover.jpg`).sort(compareKeys);
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

let server: http.Server;
let endpoint = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams;
    const token = q.get('continuation-token');
    const after = token !== null ? Buffer.from(token.slice(1), 'base64url').toString() : (q.get('start-after') ?? '');
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter');
    // The very first request of a listing from the start: an empty page with more to come.
    const empty = token === null && after === '' && !delimiter;
    const page = empty ? [] : KEYS.filter((k) => compareKeys(k, after) > 0 && k.startsWith(prefix)).slice(0, 1000);
    const more = empty || KEYS.some((k) => compareKeys(k, page.at(-1) ?? after) > 0 && k.startsWith(prefix) && !page.includes(k));
    const next = `k${Buffer.from(page.at(-1) ?? after).toString('base64url')}`;
    const common = delimiter ? [...new Set(KEYS.map((k) => k.split('/')[0] + '/'))].map((p) => `<CommonPrefixes><Prefix>${p}</Prefix></CommonPrefixes>`).join('') : '';
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
      `<IsTruncated>${delimiter ? false : more}</IsTruncated>${!delimiter && more ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}` +
      (delimiter ? '' : page.map((k) => `<Contents><Key>${xml(k)}</Key><LastModified>2026-11-28T05:00:00.000Z</LastModified><ETag>"e"</ETag><Size>1</Size></Contents>`).join('')) +
      `${common}</ListBucketResult>`;
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () => createS3Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

describe('a first page with no keys and more to come', () => {
  it.each([true, false])('the streamed listing goes on and lists every key (key ranges: %s)', async (keyRanges) => {
    const info: StreamInfo = { how: '' };
    const keys: string[] = [];
    for await (const page of streamBucket(client(), 'b', info, { side: 'source', keyRanges })) keys.push(...page.map((o) => o.key));
    expect(keys).toEqual(KEYS);
  });

  it('the in-memory listing goes on and lists every key', async () => {
    expect((await listBucket(client(), 'b')).objects.map((o) => o.key)).toEqual(KEYS);
  });
});
