/**
 * A MODEL of S3 for benchmarks, not a store: objects live in this process's memory, every request
 * is answered after a fixed latency (a runner's round trip to S3 is ~20–30 ms) and costs almost no
 * CPU (a copy shares the source's bytes; only uploads are hashed). It shows what concurrency buys
 * when latency, not the server, sets the pace, as against real S3, which scales out. It speaks
 * just enough of the S3 REST protocol, path-style, for this action, `aws s3 sync` and `rclone`:
 * buckets (create, head, location), ListObjects V1/V2 (prefix, delimiter, pages), Head/Get (with
 * Range)/Put, CopyObject, multipart uploads (with part copies), DeleteObject(s). Any SigV4
 * signature is accepted without being checked. Never use it to judge correctness.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compareKeys } from '../../src/s3/merge.js';

interface ModelObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  /** Content-Type, Cache-Control, …, x-amz-meta-*: carried over by a copy with `COPY`. */
  headers: Record<string, string>;
}

interface Bucket {
  objects: Map<string, ModelObject>;
  /** Keys in S3's order, rebuilt after a change. */
  sorted?: string[];
}

export interface S3Model {
  endpoint: string;
  requests: number;
  /** Requests the model does not speak (answered 501), by "METHOD ?query". */
  unknown: Map<string, number>;
  createBucket(name: string): void;
  putObject(bucket: string, key: string, body: Buffer, headers?: Record<string, string>): void;
  /** Keys and bytes of a bucket, to check that a tool really copied. */
  contents(bucket: string): { objects: number; bytes: number };
  close(): Promise<void>;
}

const STORED_HEADERS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** `aws-chunked` bodies (streamed uploads with checksums): the data without the chunk framing. */
function decodeChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!size) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

export async function startS3Model(opts: { latencyMs: number }): Promise<S3Model> {
  const buckets = new Map<string, Bucket>();
  const uploads = new Map<string, { bucket: string; key: string; headers: Record<string, string>; parts: Map<number, { body: Buffer; etag: string }> }>();

  const storedHeaders = (req: http.IncomingMessage) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && (STORED_HEADERS.includes(name) || name.startsWith('x-amz-meta-'))) headers[name] = value;
    }
    if (headers['content-encoding']?.includes('aws-chunked')) delete headers['content-encoding'];
    return headers;
  };
  const put = (bucket: Bucket, key: string, object: ModelObject) => {
    if (!bucket.objects.has(key)) bucket.sorted = undefined;
    bucket.objects.set(key, object);
  };
  const sortedKeys = (bucket: Bucket) => (bucket.sorted ??= [...bucket.objects.keys()].sort(compareKeys));

  const model: S3Model = {
    endpoint: '',
    requests: 0,
    unknown: new Map(),
    createBucket: (name) => void (buckets.has(name) || buckets.set(name, { objects: new Map() })),
    putObject: (bucket, key, body, headers = {}) =>
      put(buckets.get(bucket)!, key, { body, etag: `"${md5(body)}"`, lastModified: new Date(), headers }),
    contents: (bucket) => {
      const objects = [...(buckets.get(bucket)?.objects.values() ?? [])];
      return { objects: objects.length, bytes: objects.reduce((sum, o) => sum + o.body.length, 0) };
    },
    close: async () => {},
  };

  type Reply = { status: number; headers?: Record<string, string | number>; body?: Buffer | string };
  const error = (status: number, code: string, message = code): Reply => ({
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`,
  });
  const ok = (body: string, headers: Record<string, string | number> = {}): Reply => ({
    status: 200,
    headers: { 'content-type': 'application/xml', ...headers },
    body: `<?xml version="1.0" encoding="UTF-8"?>${body}`,
  });
  const objectHeaders = (o: ModelObject): Record<string, string | number> => ({
    ...o.headers,
    etag: o.etag,
    'last-modified': o.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  });

  function list(bucket: Bucket, q: URLSearchParams, v2: boolean): Reply {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = Math.min(Number(q.get('max-keys') ?? 1000), 1000);
    const after = v2 ? (q.get('continuation-token') ? Buffer.from(q.get('continuation-token')!, 'base64url').toString() : (q.get('start-after') ?? '')) : (q.get('marker') ?? '');
    const keys = sortedKeys(bucket);
    // First key after `after`, by binary search.
    const firstIndex = (isBefore: (key: string) => boolean) => {
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (isBefore(keys[mid]!)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    // The first key after `after` that may start with `prefix`.
    const lo = Math.max(
      firstIndex((k) => compareKeys(k, after) <= 0),
      firstIndex((k) => compareKeys(k, prefix) < 0),
    );
    const contents: string[] = [];
    const prefixes: string[] = [];
    let last = '';
    let truncated = false;
    for (let i = lo; i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) {
        if (compareKeys(key, prefix) > 0) break;
        continue;
      }
      if (contents.length + prefixes.length >= maxKeys) {
        truncated = true;
        break;
      }
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) {
        const common = key.slice(0, cut + delimiter.length);
        prefixes.push(common);
        // Skip every key under this common prefix.
        while (i + 1 < keys.length && keys[i + 1]!.startsWith(common)) i++;
        last = keys[i]!;
        continue;
      }
      const o = bucket.objects.get(key)!;
      contents.push(
        `<Contents><Key>${xml(key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag>` +
          `<Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
      last = key;
    }
    const common = prefixes.map((p) => `<CommonPrefixes><Prefix>${xml(p)}</Prefix></CommonPrefixes>`).join('');
    const paging = v2
      ? `<KeyCount>${contents.length + prefixes.length}</KeyCount>${truncated ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>` : ''}`
      : `<Marker>${xml(after)}</Marker>${truncated ? `<NextMarker>${xml(last)}</NextMarker>` : ''}`;
    return ok(
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix>${xml(prefix)}</Prefix>` +
        `${delimiter ? `<Delimiter>${xml(delimiter)}</Delimiter>` : ''}<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${paging}` +
        `${contents.join('')}${common}</ListBucketResult>`,
    );
  }

  /** The object named by `x-amz-copy-source` (`bucket/key`, URL-encoded). */
  const copySource = (req: http.IncomingMessage) => {
    const source = decodeURIComponent(String(req.headers['x-amz-copy-source']).replace(/^\//, '').split('?')[0]!);
    const slash = source.indexOf('/');
    return buckets.get(source.slice(0, slash))?.objects.get(source.slice(slash + 1));
  };

  function handle(req: http.IncomingMessage, body: Buffer): Reply {
    const url = new URL(req.url!, 'http://model');
    const q = url.searchParams;
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const method = req.method!;
    if (!bucketName) return method === 'GET' ? ok(`<ListAllMyBucketsResult><Buckets>${[...buckets.keys()].map((b) => `<Bucket><Name>${b}</Name></Bucket>`).join('')}</Buckets></ListAllMyBucketsResult>`) : error(501, 'NotImplemented');
    const bucket = buckets.get(bucketName);
    if (!key) {
      if (method === 'PUT' && !req.url!.includes('?')) {
        model.createBucket(bucketName);
        return { status: 200 };
      }
      if (!bucket) return error(404, 'NoSuchBucket');
      if (method === 'HEAD') return { status: 200 };
      if (method === 'GET' && q.has('location')) return ok('<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>');
      if (method === 'GET' && !q.has('uploads') && ![...q.keys()].some((k) => ['versioning', 'acl', 'policy', 'tagging', 'versions'].includes(k))) return list(bucket, q, q.get('list-type') === '2');
      if (method === 'POST' && q.has('delete')) {
        const keys = [...body.toString().matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'));
        for (const k of keys) if (bucket.objects.delete(k)) bucket.sorted = undefined;
        const quiet = /<Quiet>true<\/Quiet>/i.test(body.toString());
        return ok(`<DeleteResult>${quiet ? '' : keys.map((k) => `<Deleted><Key>${xml(k)}</Key></Deleted>`).join('')}</DeleteResult>`);
      }
      return error(501, 'NotImplemented', `bucket request ${method} ?${[...q.keys()].join('&')}`);
    }
    if (!bucket) return error(404, 'NoSuchBucket');

    if (method === 'POST' && q.has('uploads')) {
      const uploadId = randomUUID();
      uploads.set(uploadId, { bucket: bucketName, key, headers: storedHeaders(req), parts: new Map() });
      return ok(`<InitiateMultipartUploadResult><Bucket>${bucketName}</Bucket><Key>${xml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (q.has('uploadId')) {
      const upload = uploads.get(q.get('uploadId')!);
      if (!upload) return error(404, 'NoSuchUpload');
      if (method === 'PUT') {
        let data = body;
        if (req.headers['x-amz-copy-source']) {
          const source = copySource(req);
          if (!source) return error(404, 'NoSuchKey');
          const range = /bytes=(\d+)-(\d+)/.exec(String(req.headers['x-amz-copy-source-range'] ?? ''));
          data = range ? source.body.subarray(Number(range[1]), Number(range[2]) + 1) : source.body;
          const etag = `"${md5(`${source.etag}${range?.[0] ?? ''}`)}"`; // no hashing of copied bytes
          upload.parts.set(Number(q.get('partNumber')), { body: data, etag });
          return ok(`<CopyPartResult><ETag>${xml(etag)}</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyPartResult>`);
        }
        const etag = `"${md5(data)}"`;
        upload.parts.set(Number(q.get('partNumber')), { body: data, etag });
        return { status: 200, headers: { etag } };
      }
      if (method === 'POST') {
        const numbers = [...upload.parts.keys()].sort((a, b) => a - b);
        const parts = numbers.map((n) => upload.parts.get(n)!);
        const etag = `"${md5(parts.map((p) => p.etag).join(''))}-${parts.length}"`;
        put(bucket, key, { body: Buffer.concat(parts.map((p) => p.body)), etag, lastModified: new Date(), headers: upload.headers });
        uploads.delete(q.get('uploadId')!);
        return ok(`<CompleteMultipartUploadResult><Bucket>${bucketName}</Bucket><Key>${xml(key)}</Key><ETag>${xml(etag)}</ETag></CompleteMultipartUploadResult>`);
      }
      if (method === 'DELETE') {
        uploads.delete(q.get('uploadId')!);
        return { status: 204 };
      }
    }
    if (method === 'PUT' && req.headers['x-amz-copy-source']) {
      const source = copySource(req);
      if (!source) return error(404, 'NoSuchKey');
      const replace = String(req.headers['x-amz-metadata-directive'] ?? '').toUpperCase() === 'REPLACE';
      const copy: ModelObject = { body: source.body, etag: source.etag, lastModified: new Date(), headers: replace ? storedHeaders(req) : { ...source.headers } };
      put(bucket, key, copy);
      return ok(`<CopyObjectResult><LastModified>${copy.lastModified.toISOString()}</LastModified><ETag>${xml(copy.etag)}</ETag></CopyObjectResult>`);
    }
    if (method === 'PUT') {
      const chunked = String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-') || String(req.headers['content-encoding'] ?? '').includes('aws-chunked');
      const data = chunked ? decodeChunked(body) : body;
      const object: ModelObject = { body: data, etag: `"${md5(data)}"`, lastModified: new Date(), headers: storedHeaders(req) };
      put(bucket, key, object);
      return { status: 200, headers: { etag: object.etag } };
    }
    if (method === 'DELETE') {
      if (bucket.objects.delete(key)) bucket.sorted = undefined;
      return { status: 204 };
    }
    const object = bucket.objects.get(key);
    if (method === 'HEAD') return object ? { status: 200, headers: { ...objectHeaders(object), 'content-length': object.body.length } } : { status: 404 };
    if (method === 'GET') {
      if (!object) return error(404, 'NoSuchKey');
      const range = /bytes=(\d+)-(\d*)/.exec(String(req.headers.range ?? ''));
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), object.body.length - 1) : object.body.length - 1;
        return { status: 206, headers: { ...objectHeaders(object), 'content-range': `bytes ${start}-${end}/${object.body.length}` }, body: object.body.subarray(start, end + 1) };
      }
      return { status: 200, headers: objectHeaders(object), body: object.body };
    }
    return error(501, 'NotImplemented', `object request ${method}`);
  }

  const server = http.createServer((req, res) => {
    model.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let reply: Reply;
      try {
        reply = handle(req, Buffer.concat(chunks));
      } catch (e) {
        reply = error(500, 'InternalError', String(e));
      }
      if (reply.status === 501) {
        const what = `${req.method} ${req.url!.replace(/^[^?]*/, '').replace(/=[^&]*/g, '')}`;
        model.unknown.set(what, (model.unknown.get(what) ?? 0) + 1);
      }
      setTimeout(() => {
        const body = reply.body ?? '';
        res.writeHead(reply.status, { 'x-amz-request-id': 'model', ...reply.headers, ...(req.method === 'HEAD' ? {} : { 'content-length': Buffer.byteLength(body) }) });
        res.end(req.method === 'HEAD' ? undefined : body);
      }, opts.latencyMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  model.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  model.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return model;
}
