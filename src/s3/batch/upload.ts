import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { BucketRef } from '../copy.js';

const PART_BYTES = 16 * 1024 * 1024;

/**
 * Writes text produced piece by piece (lines, or many lines at a time) to one object without
 * holding it all: one PutObject when it
 * fits in a part, else a multipart upload of 16 MiB parts (a 10-million-key manifest is ~1 GB;
 * 10,000 parts allow 160 GB).
 */
export async function uploadLines(
  to: BucketRef,
  key: string,
  lines: Iterable<string> | AsyncIterable<string>,
  contentType: string,
  partBytes = PART_BYTES,
): Promise<void> {
  let pending: string[] = [];
  let pendingBytes = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const flushPart = async () => {
    uploadId ??= (await to.client.send(new CreateMultipartUploadCommand({ Bucket: to.bucket, Key: key, ContentType: contentType }))).UploadId!;
    const body = Buffer.from(pending.join(''));
    const partNumber = parts.length + 1;
    const { ETag } = await to.client.send(new UploadPartCommand({ Bucket: to.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }));
    parts.push({ PartNumber: partNumber, ETag });
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const line of lines) {
      pending.push(line);
      pendingBytes += Buffer.byteLength(line);
      if (pendingBytes >= partBytes) await flushPart();
    }
    if (!uploadId) {
      const body = Buffer.from(pending.join(''));
      await to.client.send(new PutObjectCommand({ Bucket: to.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: contentType }));
      return;
    }
    if (pendingBytes > 0) await flushPart();
    await to.client.send(new CompleteMultipartUploadCommand({ Bucket: to.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    // An abandoned upload keeps its parts (and their cost) until someone aborts it.
    if (uploadId) await to.client.send(new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: key, UploadId: uploadId })).catch(() => {});
    throw error;
  }
}
