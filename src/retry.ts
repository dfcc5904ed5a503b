/**
 * Retrying with exponential backoff, shared by every client that talks over the network (S3
 * copies, STS, health and GitHub APIs), so they all wait and give up the same way.
 */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number;
  /** Wait before the first retry; it doubles for each later one, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs?: number;
  /**
   * Spread each wait randomly over 20–100 % of its delay (default), so many clients throttled at
   * once do not retry in lockstep; `false` waits exactly the delay (for messages that say it).
   */
  jitter?: boolean;
  /** For tests: how to wait, and the random source of the jitter. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface RetryHooks {
  /** Whether this failure is worth another attempt; anything else is thrown at once. */
  retryOn: (error: unknown) => boolean;
  /** Called before each wait: `retry` counts from 1. */
  onRetry?: (retry: number, error: unknown, waitMs: number) => void;
}

const DEFAULT_MAX_DELAY_MS = 10_000;

/** The wait before retry number `retryIndex + 1`. */
export function backoffDelay(retryIndex: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'jitter' | 'random'>): number {
  const cap = Math.min(policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, policy.baseDelayMs * 2 ** retryIndex);
  if (policy.jitter === false) return cap;
  return Math.round(cap * (0.2 + 0.8 * (policy.random ?? Math.random)()));
}

/** Runs `fn` (given the attempt number, from 1) until it succeeds, fails for good, or attempts run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !hooks.retryOn(error)) throw error;
      const waitMs = backoffDelay(attempt - 1, policy);
      hooks.onRetry?.(attempt, error, waitMs);
      await sleep(waitMs);
    }
  }
}

/**
 * `GET https://api.example.com/health/deep`: the request a retry log line names, so a reader
 * knows which endpoint failed. Credentials, query and fragment are left out (they may hold tokens).
 */
export function describeEndpoint(method: string, url: string): string {
  try {
    const { protocol, host, pathname } = new URL(url);
    return `${method.toUpperCase()} ${protocol}//${host}${pathname}`;
  } catch {
    return `${method.toUpperCase()} (an unparsable URL)`;
  }
}
