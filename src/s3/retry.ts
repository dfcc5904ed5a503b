/** Throttling and transient failures worth another try; anything else fails the object at once. */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && [408, 429, 500, 502, 503, 504].includes(status)) return true;
  if (e.$retryable) return true;
  const names = ['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'TimeoutError', 'RequestTimeTooSkewed'];
  if (e.name && names.includes(e.name)) return true;
  const codes = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE'];
  if (e.code && codes.includes(e.code)) return true;
  return /socket hang up|aborted|premature close/i.test(e.message ?? '');
}

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
}

// The SDK already retries each request; these attempts redo a whole object (a stream cannot be replayed).
export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 200 };

/**
 * Runs `fn` again after a transient failure, waiting a jittered, doubling delay (200 ms, 400 ms,
 * … capped at 10 s) so many workers throttled at once do not retry in lockstep.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = DEFAULT_RETRY): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= opts.attempts || !isTransient(error)) throw error;
      const delay = Math.min(10_000, opts.baseDelayMs * 2 ** (attempt - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}
