import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyOptions {
  /** Added before each request is forwarded (a runner's round trip to S3 is ~20–30 ms). */
  delayMs?: number;
  /** Called before a request is forwarded; may change the world (e.g. delete an object) first. */
  beforeForward?: (req: http.IncomingMessage) => Promise<void> | void;
  /** Answers a request itself instead of forwarding it (e.g. a 503 SlowDown), when it returns a reply. */
  intercept?: (req: http.IncomingMessage) => { status: number; body: string } | undefined;
}

export interface Proxy {
  endpoint: string;
  requests: number;
  close(): Promise<void>;
}

/**
 * A plain HTTP forwarder in front of an S3 endpoint. Headers go through untouched (the Host
 * header is part of the SigV4 signature), bodies are piped both ways.
 */
export async function startProxy(upstream: string, opts: ProxyOptions = {}): Promise<Proxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const proxy: Proxy = { endpoint: '', requests: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    proxy.requests++;
    req.pause();
    const forward = async () => {
      if (opts.delayMs) await new Promise((resolve) => setTimeout(resolve, opts.delayMs));
      await opts.beforeForward?.(req);
      const reply = opts.intercept?.(req);
      if (reply) {
        req.resume();
        res.writeHead(reply.status, { 'content-type': 'application/xml' }).end(reply.body);
        return;
      }
      const out = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
      req.resume();
    };
    forward().catch(() => res.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
      agent.destroy();
    });
  return proxy;
}
