import { withRetry, type RetryPolicy } from '../retry.js';

/** Throttling and transient failures worth another try; anything else fails the object at once. */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && [408, 429, 500, 502, 503, 504].includes(status)) return true;
  if (e.$retryable) return true;
  const names = ['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'TimeoutError', 'RequestTimeTooSkewed', 'IncompleteBody'];
  if (e.name && names.includes(e.name)) return true;
  const codes = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE'];
  if (e.code && codes.includes(e.code)) return true;
  return /socket hang up|aborted|premature close/i.test(e.message ?? '');
}

// The SDK already retries each request; these attempts redo a whole object (a stream cannot be replayed).
export const S3_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200 };

/** Runs `fn` again after a transient S3 or network failure (throttling, 5xx, dropped connections). */
export function withS3Retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy = S3_RETRY): Promise<T> {
  return withRetry(fn, policy, { retryOn: isTransient });
}
