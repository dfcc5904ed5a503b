import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/s3/client.js';
import { listedEntries, takeListEntries } from '../../src/s3/list-parse.js';
import { listPages } from '../../src/s3/list.js';

/**
 * ListObjectsV2 answers are read by our own reader (list-parse.ts) instead of the SDK's XML
 * parser. Over real HTTP, the action's client (with the reader) and a plain SDK client must list
 * the same objects from the same answers, whatever the keys hold.
 */

const contents = (key: string, extra = '') =>
  `<Contents><Key>${key}</Key><LastModified>2026-11-28T05:00:00.123Z</LastModified><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag>` +
  `<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><Size>42</Size><Owner><ID>abc</ID></Owner><StorageClass>STANDARD</StorageClass>${extra}</Contents>`;
const answer = (body: string, truncated = false) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix>` +
  `<KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>${truncated}</IsTruncated>${body}</ListBucketResult>`;

const ANSWERS: Record<string, string> = {
  plain: answer(contents('books/1/cover.jpg') + contents('books/2/cover.jpg')),
  entities: answer(contents('a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;') + contents('cr&#13;lf&#10;tab&#x9;') + contents('accent &#233;')),
  raw: answer(contents('ünïcode/中文/😀 space.jpg') + contents('books/%20encoded')),
  fields: answer(
    '<Contents><Key>zero</Key><Size>0</Size></Contents>' +
      '<Contents><Key>empty-etag</Key><LastModified>2026-01-01T00:00:00Z</LastModified><ETag/><Size>7</Size></Contents>' +
      contents('restored', '<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress></RestoreStatus>') +
      '<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>',
  ),
  cdata: answer(contents('<![CDATA[cdata & key]]>')),
  html: answer(contents('nbsp&nbsp;here')),
  astral: answer(contents('emoji &#x1F600; &#233;')),
  truncated: answer(contents('first'), true).replace('<IsTruncated>true</IsTruncated>', '<IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;en</NextContinuationToken>'),
};

let server: http.Server;
let endpoint = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const name = req.url!.split('/')[1]!.split('?')[0]!;
    const token = new URL(req.url!, 'http://x').searchParams.get('continuation-token');
    const body = token ? answer(contents('second')) : ANSWERS[name]!;
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
const objects = async (client: S3Client, bucket: string) => {
  const listed = [];
  for await (const page of listPages(client, bucket)) listed.push(...page);
  return listed;
};

describe('reading ListObjectsV2 answers', () => {
  it.each(Object.keys(ANSWERS).filter((name) => name !== 'astral'))('lists the same objects as the SDK alone: %s', async (bucket) => {
    const ours = createS3Client({ region: 'us-east-1', endpoint, credentials });
    const sdk = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
    const expected = await objects(sdk, bucket);
    expect(expected.length).toBeGreaterThan(0);
    expect(await objects(ours, bucket)).toEqual(expected);
  });

  it('reads a character reference above U+FFFF as that character (the SDK parser alone drops it)', async () => {
    const client = createS3Client({ region: 'us-east-1', endpoint, credentials });
    expect((await objects(client, 'astral')).map((o) => o.key)).toEqual(['emoji \u{1F600} é']);
  });

  it('reads the entries itself where it can, and leaves the rest of the answer to the SDK', async () => {
    const client = createS3Client({ region: 'us-east-1', endpoint, credentials });
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'fields' }));
    expect(listedEntries(page)?.map((o) => o.key)).toEqual(['zero', 'empty-etag', 'restored']);
    expect(page.Contents).toBeUndefined();
    expect(page.CommonPrefixes).toEqual([{ Prefix: 'dir/' }]);
    const truncated = await client.send(new ListObjectsV2Command({ Bucket: 'truncated' }));
    expect([truncated.IsTruncated, truncated.NextContinuationToken]).toEqual([true, 'tok&en']);
    // CDATA and HTML entities are not S3's format: the SDK reads those answers whole.
    for (const bucket of ['cdata', 'html']) expect(listedEntries(await client.send(new ListObjectsV2Command({ Bucket: bucket })))).toBeUndefined();
  });

  it('refuses what it does not recognise instead of guessing', () => {
    expect(takeListEntries(answer('<Contents><Key>no size</Key></Contents>'))).toBeUndefined();
    expect(takeListEntries(answer('<Contents><Key>bad &bogus; entity</Key><Size>1</Size></Contents>'))).toBeUndefined();
    expect(takeListEntries(answer('<Contents><Key>k</Key><Size>1</Size><LastModified>yesterday</LastModified></Contents>'))).toBeUndefined();
    expect(takeListEntries(answer('<Contents><Key>unclosed</Key><Size>1</Size>'))).toBeUndefined();
    expect(takeListEntries(answer(''))).toEqual({ entries: [], rest: answer('') });
  });
});
