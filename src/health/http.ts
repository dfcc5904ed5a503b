import http from 'node:http';
import https from 'node:https';
import { ProxyAgent, fetch as proxiedFetch } from 'undici';
import { currentProxySettings, requestAgent } from '../proxy/agents.js';
import { proxyFor } from '../proxy/proxy.js';
import { describeEndpoint, withRetry } from '../retry.js';

export interface HttpResponse {
  status: number;
  body: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Give up when no TCP connection is made within this time. */
  connectTimeoutMs?: number;
  /** Give up when the whole answer has not arrived within this time. */
  totalTimeoutMs?: number;
}

export interface RetryOptions {
  /** Extra attempts after the first one. */
  retries?: number;
  /** Wait before retry n (1-based) is `backoffMs * 2^(n-1)`. */
  backoffMs?: number;
  /** `endpoint` names the request that failed, e.g. `GET https://api.example.com/health/deep`. */
  onRetry?: (attempt: number, reason: string, waitMs: number, endpoint: string) => void;
}

/** The request never got an HTTP answer (refused, reset, DNS, timeout). */
export class NetworkError extends Error {}

export const CONNECT_TIMEOUT_MS = 5_000;
export const TOTAL_TIMEOUT_MS = 30_000;

/** The run's `network-timeout`, for every request that does not set its own total timeout. */
let runTotalTimeoutMs: number | undefined;

/**
 * Sets the total timeout of every request that does not set its own, from the run's config
 * (`network-timeout`). Called once, by main, before any request.
 */
export function useNetworkTimeout(totalTimeoutMs: number): void {
  runTotalTimeoutMs = totalTimeoutMs;
}

/**
 * One HTTP request with separate connect and total timeouts (the original script's `curl
 * --connect-timeout 5 --max-time 30`). Any HTTP status is an answer; only the absence of one
 * throws, as a NetworkError.
 */
export function httpRequest(url: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const totalTimeoutMs = opts.totalTimeoutMs ?? runTotalTimeoutMs ?? TOTAL_TIMEOUT_MS;
  // Say which input sets the limit when it is the run's.
  const setBy = opts.totalTimeoutMs === undefined && runTotalTimeoutMs !== undefined ? ' (`network-timeout`)' : '';
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new NetworkError(`not a valid URL: ${url}`));
      return;
    }
    const transport = target.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'prod-to-staging-sync', ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    // Through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY lists the host (see src/proxy/).
    const request = transport.request(target, { method: opts.method ?? 'GET', headers, agent: requestAgent(target.protocol) });
    const fail = (message: string) => request.destroy(new NetworkError(message));
    const totalTimer = setTimeout(() => fail(`no complete answer within ${totalTimeoutMs / 1000} s${setBy}`), totalTimeoutMs);
    request.on('socket', (socket) => {
      // A reused keep-alive socket is already connected; only a new one can hang in connect.
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => fail(`could not connect within ${connectTimeoutMs / 1000} s`), connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(totalTimer);
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', (error) => {
        clearTimeout(totalTimer);
        reject(error instanceof NetworkError ? error : new NetworkError(describe(error)));
      });
    });
    request.on('error', (error) => {
      clearTimeout(totalTimer);
      reject(error instanceof NetworkError ? error : new NetworkError(describe(error)));
    });
    request.end(opts.body);
  });
}

/** A 5xx answer before the last attempt, thrown only to be retried (the last one is returned). */
class ServerErrorAnswer extends Error {}

/**
 * `httpRequest` retried on network errors and 5xx answers, with exponential backoff. Returns the
 * last answer (a 5xx body may still say why, e.g. a health report with status "unhealthy");
 * throws the last NetworkError when no attempt got an answer.
 */
export function requestWithRetries(url: string, opts: RequestOptions = {}, retry: RetryOptions = {}): Promise<HttpResponse> {
  const attempts = (retry.retries ?? 2) + 1;
  return withRetry(
    async (attempt) => {
      const response = await httpRequest(url, opts);
      if (response.status >= 500 && attempt < attempts) throw new ServerErrorAnswer(`HTTP ${response.status}`);
      return response;
    },
    // Fixed waits (1 s, 2 s): the log says how long, and there is one caller per environment.
    { attempts, baseDelayMs: retry.backoffMs ?? 1_000, maxDelayMs: Number.POSITIVE_INFINITY, jitter: false },
    {
      retryOn: (error) => error instanceof NetworkError || error instanceof ServerErrorAnswer,
      onRetry: (n, error, waitMs) => retry.onRetry?.(n, (error as Error).message, waitMs, describeEndpoint(opts.method ?? 'GET', url)),
    },
  );
}

function describe(error: Error & { code?: string }): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ENOTFOUND') return 'host not found (DNS)';
  if (error.code === 'ECONNRESET') return 'connection reset';
  return error.message || error.code || 'network error';
}

/** Statuses whose answers have no body (a Response must be built without one). */
const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * A `fetch` for clients built on it (Octokit) with the same bound as `httpRequest`: the whole
 * answer, body included, must arrive within `totalTimeoutMs`, or it fails naming `what` and the
 * limit. The body is read here, under the timer (GitHub's answers are small).
 */
export function boundedFetch(totalTimeoutMs: number, what: string): typeof fetch {
  return async (input, init) => {
    const timer = AbortSignal.timeout(totalTimeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timer]) : timer;
    try {
      const response = await fetchThroughProxy(input, { ...init, signal });
      const body = NO_BODY.has(response.status) ? null : await response.arrayBuffer();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      if (!timer.aborted) throw error;
      throw new NetworkError(`${what} did not answer within ${totalTimeoutMs / 1000} s (\`network-timeout\`)`);
    }
  };
}

const proxyAgents = new Map<string, ProxyAgent>();

/**
 * `fetch`, through the run's proxy when one applies to the URL: undici's own fetch with its
 * ProxyAgent (Node's built-in fetch ignores HTTPS_PROXY).
 */
async function fetchThroughProxy(input: Parameters<typeof fetch>[0], init: RequestInit): Promise<Response> {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const proxy = proxyFor(url, currentProxySettings());
  if (!proxy) return fetch(input, init);
  let dispatcher = proxyAgents.get(proxy.href);
  if (!dispatcher) {
    dispatcher = new ProxyAgent(proxy.href);
    proxyAgents.set(proxy.href, dispatcher);
  }
  const request = input instanceof Request ? input : undefined;
  const answer = await proxiedFetch(url.href, {
    method: init.method ?? request?.method,
    headers: (init.headers ?? request?.headers) as Record<string, string> | undefined,
    body: (init.body ?? undefined) as string | undefined,
    signal: init.signal ?? undefined,
    redirect: init.redirect,
    dispatcher,
  });
  return new Response(NO_BODY.has(answer.status) ? null : await answer.arrayBuffer(), { status: answer.status, statusText: answer.statusText, headers: [...answer.headers] });
}
