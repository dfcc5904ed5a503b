import { parseDuration, type InputSource } from './inputs.js';
import { parseProxyEnvironment, type ProxyEnvironment, type ProxySettings } from '../proxy/proxy.js';

/** How long each network call may wait, for every client (AWS SDK clients, the HTTP client). */
export interface NetworkOptions {
  /** Waiting for a TCP (and TLS) connection. */
  connectTimeoutMs: number;
  /** Waiting for an answer from STS, Secrets Manager, GitHub and the APIs (`network-timeout`). */
  requestTimeoutMs: number;
  /**
   * S3: the longest silence on a connection, sending or receiving. Never a cap on a whole
   * transfer, so large objects are not cut off; longer than `requestTimeoutMs`, since S3 may
   * think a while before answering a copy of a large object.
   */
  s3IdleTimeoutMs: number;
  /** The runner's HTTPS_PROXY / HTTP_PROXY / NO_PROXY, for every HTTP client. */
  proxy: ProxySettings;
}

/** Facts about the runner (its environment, read by main). */
export interface NetworkRunnerFacts {
  proxy?: ProxyEnvironment;
}

export const CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_NETWORK_TIMEOUT = '30s';
/** S3's idle timeout is this many `network-timeout`s (2 minutes by default). */
export const S3_IDLE_FACTOR = 4;

export function parseNetworkOptions(inputs: InputSource, runner: NetworkRunnerFacts = {}): NetworkOptions {
  const proxy = parseProxyEnvironment(runner.proxy ?? {});
  inputs.problems.push(...proxy.problems.map((p) => `The runner's ${p}`));
  proxy.secrets.forEach((secret) => inputs.secret(secret));
  let requestTimeoutMs = inputs.duration('network-timeout', DEFAULT_NETWORK_TIMEOUT);
  if (requestTimeoutMs < 100 || requestTimeoutMs > 600_000) {
    inputs.problems.push(`\`network-timeout\` must be from 100ms to 10m, got \`${inputs.value('network-timeout')}\`.`);
    // The comment trigger answers before the problems are reported: it still needs a sane bound.
    requestTimeoutMs = parseDuration(DEFAULT_NETWORK_TIMEOUT)!;
  }
  return { connectTimeoutMs: CONNECT_TIMEOUT_MS, requestTimeoutMs, s3IdleTimeoutMs: S3_IDLE_FACTOR * requestTimeoutMs, proxy: proxy.settings };
}

/** `2 s`, `0.5 s`, `16 min`: a timeout in a message. */
export function describeDuration(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms) / 1000} s`;
}
