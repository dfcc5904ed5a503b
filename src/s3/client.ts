import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  region: string;
  endpoint?: string;
  credentials?: S3ClientConfig['credentials'];
  maxSockets?: number;
}

/** Enough for the largest `concurrency` plus a listing running alongside. */
export const DEFAULT_MAX_SOCKETS = 600;

export function createS3Client(opts: S3ClientOptions): S3Client {
  return new S3Client({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    // Checksums only where S3 requires them: with the default, streamed uploads are sent with
    // aws-chunked framing, which several S3-compatible stores save as part of the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
    // The SDK's default of 50 sockets would cap the copy concurrency below what the input allows.
    requestHandler: {
      httpAgent: { keepAlive: true, maxSockets: opts.maxSockets ?? DEFAULT_MAX_SOCKETS },
      httpsAgent: { keepAlive: true, maxSockets: opts.maxSockets ?? DEFAULT_MAX_SOCKETS },
    },
  });
}
