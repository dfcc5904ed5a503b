import type { AgentOptions } from 'node:http';
import { describeDuration } from '../config/network-options.js';
import { currentProxySettings, ProxyAwareHttpAgent, ProxyAwareHttpsAgent, usesProxy } from '../proxy/agents.js';

/** The bounds of one SDK client's requests. */
export interface SdkTimeouts {
  connectTimeoutMs: number;
  /** From sending the request to the answer's headers; unset for S3, whose uploads may be long. */
  answerTimeoutMs?: number;
  /** Longest silence on the connection, sending or receiving (a stall mid-body). */
  idleTimeoutMs: number;
}

/**
 * The SDK's Node HTTP handler options with every wait bounded. `throwOnRequestTimeout` is what
 * makes `requestTimeout` fail the request: without it @smithy/node-http-handler (4.x) only logs a
 * warning and keeps waiting. Agent options, not agents: the handler then builds its own and keeps
 * its `Expect: 100-continue` handling (which it skips for agents given to it) — except behind a
 * proxy, where the agents must be ours to tunnel.
 */
export function boundedRequestHandler(timeouts: SdkTimeouts, agent: AgentOptions = {}) {
  const options = { keepAlive: true, ...agent };
  // With HTTPS_PROXY / HTTP_PROXY set, agents that tunnel through the proxy (except NO_PROXY hosts).
  const proxy = currentProxySettings();
  return {
    connectionTimeout: timeouts.connectTimeoutMs,
    ...(timeouts.answerTimeoutMs ? { requestTimeout: timeouts.answerTimeoutMs, throwOnRequestTimeout: true } : {}),
    socketTimeout: timeouts.idleTimeoutMs,
    httpAgent: usesProxy(proxy) ? new ProxyAwareHttpAgent(proxy, options) : options,
    httpsAgent: usesProxy(proxy) ? new ProxyAwareHttpsAgent(proxy, options) : options,
  };
}

/**
 * Which bound a failed SDK call hit, in words (`no answer within 30 s`), or undefined when the
 * failure is not a timeout. The handler's own texts name its option names, not ours.
 */
export function describeTimeout(error: unknown, timeouts: SdkTimeouts): string | undefined {
  const e = error as { name?: string; code?: string; message?: string };
  const message = e.message ?? '';
  if (/did not establish a connection/.test(message)) return `no connection within ${describeDuration(timeouts.connectTimeoutMs)}`;
  if (/exceeded the configured .* requestTimeout/.test(message)) return `no answer within ${describeDuration(timeouts.answerTimeoutMs ?? 0)}`;
  if (/timed out after .* of inactivity/.test(message)) return `nothing received for ${describeDuration(timeouts.idleTimeoutMs)}`;
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT') return 'the connection timed out';
  return undefined;
}

/** Network failures (no answer at all) worth another attempt, as opposed to refusals. */
export function isNetworkFailure(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string };
  if (e.name === 'TimeoutError') return true;
  const codes = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'];
  return Boolean(e.code && codes.includes(e.code)) || /socket hang up/i.test(e.message ?? '');
}
