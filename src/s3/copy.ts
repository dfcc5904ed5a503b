import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Transform, type Readable } from 'node:stream';
import { mapLimit } from './list.js';

export interface BucketRef {
  client: S3Client;
  bucket: string;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Size limits of the copy paths; S3's own limits by default, smaller in tests. */
export interface CopyLimits {
  /** Largest object one CopyObject may copy (S3: 5 GiB); larger ones use UploadPartCopy. */
  maxSingleCopyBytes: number;
  partCopyBytes: number;
  /** Streamed objects above this are uploaded in parts (bounded memory, retries per part). */
  streamMultipartThreshold: number;
  streamPartBytes: number;
}

export const S3_LIMITS: CopyLimits = {
  maxSingleCopyBytes: 5 * GiB,
  partCopyBytes: 512 * MiB,
  streamMultipartThreshold: 64 * MiB,
  streamPartBytes: 8 * MiB,
};

/** S3 allows 10,000 parts; grow the part size for objects that would need more. */
const partSizeFor = (size: number, preferred: number) => Math.max(preferred, Math.ceil(size / 9_000));

/** The headers that travel with an object (and must arrive with it in staging). */
interface ObjectHeaders {
  ContentType?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  Metadata?: Record<string, string>;
}

function headersOf(o: ObjectHeaders): ObjectHeaders {
  return {
    ContentType: o.ContentType,
    CacheControl: o.CacheControl,
    ContentDisposition: o.ContentDisposition,
    ContentEncoding: o.ContentEncoding,
    ContentLanguage: o.ContentLanguage,
    Metadata: o.Metadata,
  };
}

/** A CopySource value: bucket and key, URL-encoded segment by segment. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Server-side copy; metadata and headers are carried over by S3 (MetadataDirective COPY). */
export async function copyServerSide(from: BucketRef, to: BucketRef, key: string, size: number, limits: CopyLimits): Promise<void> {
  if (size <= limits.maxSingleCopyBytes) {
    await to.client.send(
      new CopyObjectCommand({ Bucket: to.bucket, Key: key, CopySource: copySource(from.bucket, key), MetadataDirective: 'COPY' }),
    );
    return;
  }
  // Part copies do not carry headers over: read them from the source and start the upload with them.
  const head = await to.client.send(new HeadObjectCommand({ Bucket: from.bucket, Key: key }));
  const partSize = partSizeFor(size, limits.partCopyBytes);
  await multipart(to, key, headersOf(head), async (uploadId) => {
    const ranges = Array.from({ length: Math.ceil(size / partSize) }, (_, i) => [i * partSize, Math.min(size, (i + 1) * partSize) - 1]);
    return mapLimit(ranges, 4, async ([start, end], i) => {
      const part = await to.client.send(
        new UploadPartCopyCommand({
          Bucket: to.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: i + 1,
          CopySource: copySource(from.bucket, key),
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      return { PartNumber: i + 1, ETag: part.CopyPartResult?.ETag };
    });
  });
}

/**
 * Streamed copy: the source's bytes flow from a GetObject (source credentials) into an upload
 * (target credentials) without touching the disk. Small objects are read whole, then put (the
 * SDK can then retry the put by itself); middle-sized ones are one PutObject fed by the download;
 * large ones are cut into parts, at most two parts of one object in memory at a time.
 *
 * Both sides are bounded: the S3 clients drop a connection silent for their idle timeout (a
 * download that stops mid-way, an upload nobody answers), and a download that fails or ends
 * short aborts the upload it feeds at once, so it never waits for bytes that will not come nor
 * completes a short object. The caller retries the whole object from the start.
 */
export async function copyByStream(
  from: BucketRef,
  to: BucketRef,
  key: string,
  limits: CopyLimits,
  onBytes: (n: number) => void = () => {},
): Promise<number> {
  const upload = new AbortController();
  const got = await from.client.send(new GetObjectCommand({ Bucket: from.bucket, Key: key }));
  const source = got.Body as Readable;
  const size = got.ContentLength ?? 0;
  const body = checkedLength(source, size, key);
  // The first failure of the download is the reason; the upload's abort that follows is not.
  let downloadError: unknown;
  body.once('error', (error) => {
    downloadError ??= error;
    upload.abort(error);
  });
  const sent = { abortSignal: upload.signal };
  try {
    if (size <= BUFFERED_PUT_BYTES) {
      const bytes = await readAll(body);
      await to.client.send(new PutObjectCommand({ Bucket: to.bucket, Key: key, Body: bytes, ContentLength: size, ...headersOf(got) }), sent);
      onBytes(size);
      return size;
    }
    if (size <= limits.streamMultipartThreshold) {
      await to.client.send(new PutObjectCommand({ Bucket: to.bucket, Key: key, Body: body, ContentLength: size, ...headersOf(got) }), sent);
      if (downloadError) throw downloadError;
      onBytes(size);
      return size;
    }
    const partSize = partSizeFor(size, limits.streamPartBytes);
    await multipart(to, key, headersOf(got), async (uploadId) => {
      const parts: Promise<CompletedPart>[] = [];
      let inFlight: Promise<unknown>[] = [];
      let number = 0;
      try {
        for await (const chunk of fixedSizeChunks(body, partSize)) {
          const partNumber = ++number;
          const part = to.client
            .send(new UploadPartCommand({ Bucket: to.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: chunk, ContentLength: chunk.length }), sent)
            .then((r) => {
              onBytes(chunk.length);
              return { PartNumber: partNumber, ETag: r.ETag };
            });
          part.catch(() => {}); // observed below through Promise.all; this only silences an early rejection
          parts.push(part);
          inFlight.push(part);
          // Backpressure: stop reading the download while two parts are still uploading.
          if (inFlight.length >= 2) {
            await inFlight[0];
            inFlight = inFlight.slice(1);
          }
        }
        return await Promise.all(parts);
      } catch (error) {
        // No part may land after the abort (S3 would keep it): stop them and wait until they are settled.
        upload.abort(error);
        await Promise.allSettled(parts);
        throw error;
      }
    });
    return size;
  } catch (error) {
    throw downloadError ?? error;
  } finally {
    if (!source.readableEnded) source.destroy();
    if (!body.readableEnded) body.destroy();
  }
}

async function multipart(
  to: BucketRef,
  key: string,
  headers: ObjectHeaders,
  uploadParts: (uploadId: string) => Promise<CompletedPart[]>,
): Promise<void> {
  const created = await to.client.send(new CreateMultipartUploadCommand({ Bucket: to.bucket, Key: key, ...headers }));
  const uploadId = created.UploadId!;
  try {
    const parts = await uploadParts(uploadId);
    await to.client.send(
      new CompleteMultipartUploadCommand({ Bucket: to.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
  } catch (error) {
    // An abandoned upload keeps its parts (and their cost) until someone aborts it.
    await to.client.send(new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: key, UploadId: uploadId })).catch((abortError: unknown) => {
      const e = error as { message?: string };
      e.message = `${e.message ?? String(error)}; its unfinished multipart upload ${uploadId} could not be aborted either ` +
        `(${(abortError as Error).message}): abort it, or let a lifecycle rule (AbortIncompleteMultipartUpload) remove it`;
    });
    throw error;
  }
}

/** Objects up to this size are read whole before they are put: a few of them per worker cost little memory. */
const BUFFERED_PUT_BYTES = 256 * 1024;

/** A download that ends before its Content-Length (a proxy or a cut connection that closes cleanly). */
export class IncompleteBodyError extends Error {
  override name = 'IncompleteBody';
  constructor(key: string, received: number, expected: number) {
    super(`the download of \`${key}\` ended after ${received} of ${expected} bytes`);
  }
}

/**
 * The download's bytes, passed on only if they are all there: a body that ends short errors
 * instead of ending, so the upload it feeds never completes a short object. A download that
 * breaks off errors with how far it got (same name and code, so it is retried as before).
 */
function checkedLength(source: Readable, expected: number, key: string): Readable {
  let received = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(received === expected ? null : new IncompleteBodyError(key, received, expected));
    },
  });
  source.once('error', (error: Error & { code?: string }) => {
    const reason = error.name === 'TimeoutError' ? 'nothing received for the S3 idle timeout, 4 × `network-timeout`' : error.message;
    counted.destroy(Object.assign(new Error(`the download broke off after ${received} of ${expected} bytes (${reason})`), { name: error.name, code: error.code }));
  });
  source.pipe(counted);
  return counted;
}

/** Every byte of a stream (or an SDK body: a stream or bytes already read) in one buffer. */
export async function readAll(stream: AsyncIterable<Uint8Array> | Uint8Array): Promise<Buffer> {
  if (stream instanceof Uint8Array) return Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

/** Re-chunks a byte stream into buffers of exactly `size` bytes (the last one may be shorter). */
export async function* fixedSizeChunks(stream: AsyncIterable<Buffer | Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of stream) {
    let chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
    while (pendingBytes + chunk.length >= size) {
      const take = size - pendingBytes;
      pending.push(chunk.subarray(0, take));
      yield Buffer.concat(pending, size);
      chunk = chunk.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
