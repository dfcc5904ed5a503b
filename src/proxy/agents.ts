import http from 'node:http';
import https from 'node:https';
import tunnel from 'tunnel';
import { proxyFor, type ProxySettings } from './proxy.js';

/**
 * HTTP agents that honour the runner's proxy settings. A request to a host that needs a proxy
 * goes through an HTTP CONNECT tunnel (the `tunnel` package, what @actions/http-client uses); the
 * others use the agent's own keep-alive sockets. Decided per request, since one SDK client may
 * reach several hosts. `addRequest` is the hook Node's Agent offers for this (tunnel uses it too).
 */

interface RequestHook {
  addRequest(req: http.ClientRequest, options: http.RequestOptions): void;
  destroy?(): void;
}

/** Node's own `addRequest` (not in its typings). */
const baseAddRequest = (http.Agent.prototype as unknown as RequestHook).addRequest;

class Tunnels {
  private readonly agents = new Map<string, RequestHook>();

  constructor(
    private readonly settings: ProxySettings,
    private readonly targetIsHttps: boolean,
    private readonly maxSockets: number,
  ) {}

  /** True when the request went to a proxy's tunnel; false: connect directly. */
  route(req: http.ClientRequest, options: http.RequestOptions): boolean {
    const host = options.hostname ?? options.host ?? 'localhost';
    const port = options.port ?? (this.targetIsHttps ? 443 : 80);
    const url = new URL(`${this.targetIsHttps ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`);
    const proxy = proxyFor(url, this.settings);
    if (!proxy) return false;
    let agent = this.agents.get(proxy.href);
    if (!agent) {
      agent = this.create(proxy);
      this.agents.set(proxy.href, agent);
    }
    agent.addRequest(req, options);
    return true;
  }

  private create(proxy: URL): RequestHook {
    const proxyIsHttps = proxy.protocol === 'https:';
    const options = {
      maxSockets: this.maxSockets,
      proxy: {
        host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(proxy.port || (proxyIsHttps ? 443 : 80)),
        ...(proxy.username ? { proxyAuth: `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}` } : {}),
      },
    };
    const make = this.targetIsHttps ? (proxyIsHttps ? tunnel.httpsOverHttps : tunnel.httpsOverHttp) : proxyIsHttps ? tunnel.httpOverHttps : tunnel.httpOverHttp;
    return make(options) as unknown as RequestHook;
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy?.();
  }
}

/** Sockets waiting for a proxy at once, per agent, when the options set no limit. */
const DEFAULT_TUNNELS = 64;

export class ProxyAwareHttpAgent extends http.Agent {
  private readonly tunnels: Tunnels;

  constructor(settings: ProxySettings, options: http.AgentOptions = {}) {
    super(options);
    this.tunnels = new Tunnels(settings, false, options.maxSockets ?? DEFAULT_TUNNELS);
  }

  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    if (!this.tunnels.route(req, options)) baseAddRequest.call(this, req, options);
  }

  override destroy(): void {
    super.destroy();
    this.tunnels.destroy();
  }
}

export class ProxyAwareHttpsAgent extends https.Agent {
  private readonly tunnels: Tunnels;

  constructor(settings: ProxySettings, options: https.AgentOptions = {}) {
    super(options);
    this.tunnels = new Tunnels(settings, true, options.maxSockets ?? DEFAULT_TUNNELS);
  }

  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    if (!this.tunnels.route(req, options)) baseAddRequest.call(this, req, options);
  }

  override destroy(): void {
    super.destroy();
    this.tunnels.destroy();
  }
}

/** The run's proxy settings, set once by main before any request (as `useNetworkTimeout`). */
let runSettings: ProxySettings = { bypass: [] };
let shared: { http: http.Agent; https: https.Agent } | undefined;

export function useProxySettings(settings: ProxySettings): void {
  runSettings = settings;
  shared?.http.destroy();
  shared?.https.destroy();
  shared = undefined;
}

export function currentProxySettings(): ProxySettings {
  return runSettings;
}

/** Whether any proxy is set: without one, every client keeps its default agents. */
export const usesProxy = (settings: ProxySettings = runSettings): boolean => Boolean(settings.http || settings.https);

/** Agents for one-off requests (health, compare, cache flush); undefined: Node's global agents. */
export function requestAgent(protocol: string): http.Agent | undefined {
  if (!usesProxy()) return undefined;
  shared ??= { http: new ProxyAwareHttpAgent(runSettings), https: new ProxyAwareHttpsAgent(runSettings) };
  return protocol === 'https:' ? shared.https : shared.http;
}
