import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { copyByStream, copyServerSide, S3_LIMITS, type BucketRef, type CopyLimits } from './copy.js';
import type { CopyItem } from './diff.js';
import { formatBytes } from '../report/format.js';
import { startProgress, type ProgressState } from './progress.js';
import type { RetryPolicy } from '../retry.js';
import { S3_RETRY, withS3Retry } from './retry.js';

export type ResolvedCopyMethod = 'server-side' | 'stream';

export interface CopyFailure {
  key: string;
  error: string;
}

export interface CopyOutcome {
  copiedObjects: number;
  copiedBytes: number;
  failures: CopyFailure[];
  /** Objects copied by stream because the store refused a server-side (part) copy. */
  streamedAfterFallback: number;
  seconds: number;
}

export interface CopyOptions {
  method: ResolvedCopyMethod;
  concurrency: number;
  log: (line: string) => void;
  limits?: CopyLimits;
  retry?: RetryPolicy;
  progressEveryMs?: number;
  /** Names the source in messages ("production"). */
  sourceName?: string;
}

/**
 * Copies `items` from one bucket to the other with `concurrency` workers. An object that still
 * fails after retries is recorded and the others go on; the caller decides what a failure means.
 */
export async function copyAll(items: readonly CopyItem[], from: BucketRef, to: BucketRef, opts: CopyOptions): Promise<CopyOutcome> {
  const limits = opts.limits ?? S3_LIMITS;
  const started = performance.now();
  // Largest first, so one big object does not start last and stretch the tail of the run.
  const queue = [...items].sort((a, b) => b.source.size - a.source.size);
  const state: ProgressState = {
    objectsDone: 0,
    objectsTotal: queue.length,
    bytesDone: 0,
    bytesTotal: queue.reduce((sum, i) => sum + i.source.size, 0),
    failed: 0,
  };
  const outcome: CopyOutcome = { copiedObjects: 0, copiedBytes: 0, failures: [], streamedAfterFallback: 0, seconds: 0 };
  // Stores that refuse part copies (UploadPartCopy) may still do whole-object copies, and the
  // other way round: remember each refusal separately, so only the objects concerned stream.
  const refused = { whole: false, parts: false };
  // Streamed bytes pass through this process: a few big objects at a time keep the link busy
  // while the memory their buffers take stays bounded, whatever the concurrency.
  const bigStreams = semaphore(MAX_BIG_STREAMS);
  const multipartStreams = semaphore(MAX_MULTIPART_STREAMS);

  const copyOne = async (item: CopyItem) => {
    const { key, size } = item.source;
    let counted = 0;
    const count = (n: number) => {
      counted += n;
      state.bytesDone += n;
    };
    const stream = async () => {
      const release = size > BIG_STREAM_BYTES ? await bigStreams() : () => {};
      const releaseParts = size > limits.streamMultipartThreshold ? await multipartStreams() : () => {};
      try {
        const copied = await withS3Retry(async () => {
          state.bytesDone -= counted; // a retried object starts over
          counted = 0;
          return copyByStream(from, to, key, limits, count);
        }, opts.retry ?? S3_RETRY);
        count(copied - counted);
        return copied;
      } finally {
        releaseParts();
        release();
      }
    };
    const kind = size > limits.maxSingleCopyBytes ? 'parts' : 'whole';
    if (opts.method === 'stream') return stream();
    if (refused[kind]) {
      outcome.streamedAfterFallback++;
      return stream();
    }
    try {
      await withS3Retry(() => copyServerSide(from, to, key, size, limits), opts.retry ?? S3_RETRY);
      count(size);
      return size;
    } catch (error) {
      if ((error as { name?: string }).name !== 'NotImplemented') throw error;
      if (!refused[kind]) {
        refused[kind] = true;
        const what = kind === 'parts' ? `part copies (UploadPartCopy, used above ${formatBytes(limits.maxSingleCopyBytes)})` : 'CopyObject';
        opts.log(`The target store does not implement ${what} (NotImplemented): streaming those objects instead.`);
      }
      outcome.streamedAfterFallback++;
      return stream();
    }
  };

  const stopProgress = startProgress(state, opts.log, opts.progressEveryMs);
  try {
    let next = 0;
    const worker = async () => {
      for (let item = queue[next++]; item; item = queue[next++]) {
        try {
          const bytes = await copyOne(item);
          outcome.copiedObjects++;
          outcome.copiedBytes += bytes;
        } catch (error) {
          state.failed++;
          outcome.failures.push({ key: item.source.key, error: describeCopyError(error, opts.sourceName ?? 'the source') });
        }
        state.objectsDone++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, items.length)) }, worker));
  } finally {
    stopProgress();
  }
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}

const BIG_STREAM_BYTES = 4 * 1024 * 1024;
const MAX_BIG_STREAMS = 4;
/** Each multipart stream holds up to three parts in memory (two uploading, one filling). */
const MAX_MULTIPART_STREAMS = 2;

/** A counting semaphore: `await acquire()` returns the function that releases the slot. */
function semaphore(slots: number): () => Promise<() => void> {
  let free = slots;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return async () => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    return release;
  };
}

export function describeCopyError(error: unknown, sourceName: string): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name === 'NoSuchKey' || (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket')) {
    return `no longer in ${sourceName}'s bucket (removed after it was listed?)`;
  }
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(error)}${status}`;
}

/** Deletes `keys` 1,000 a request (S3's limit); returns the keys that could not be deleted. */
export async function deleteAll(keys: readonly string[], target: BucketRef, retry: RetryPolicy = S3_RETRY): Promise<{ deleted: number; failures: CopyFailure[] }> {
  const failures: CopyFailure[] = [];
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    try {
      const result = await withS3Retry(
        () => target.client.send(new DeleteObjectsCommand({ Bucket: target.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
        retry,
      );
      const errors = result.Errors ?? [];
      for (const e of errors) failures.push({ key: e.Key ?? '?', error: `${e.Code}: ${e.Message}` });
      deleted += batch.length - errors.length;
    } catch (error) {
      for (const key of batch) failures.push({ key, error: describeCopyError(error, 'the target') });
    }
  }
  return { deleted, failures };
}
