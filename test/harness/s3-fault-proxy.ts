import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy does to one request instead of forwarding it untouched:
 * - `slow-down`: answers `503 SlowDown` with S3's XML error body, without forwarding;
 * - `reset`: resets the client's connection (TCP RST) as soon as the request arrives;
 * - `truncate`: forwards, then sends the answer's headers and half of its body, and resets;
 * - `stall`: forwards, then sends the headers and half of the body, and goes silent (connection open).
 * `truncate` and `stall` only touch answers with a body (GetObject); others go through.
 */
export type Fault = 'slow-down' | 'reset' | 'truncate' | 'stall';

/** Decides a request's fault; `n` numbers the requests from 1, in order of arrival. */
export type FaultSchedule = (req: http.IncomingMessage, n: number) => Fault | undefined;

export interface ProxyOptions {
  /** Added before each request is forwarded (a runner's round trip to S3 is ~20–30 ms). */
  delayMs?: number;
  /** Called before a request is forwarded; may change the world (e.g. delete an object) first. */
  beforeForward?: (req: http.IncomingMessage) => Promise<void> | void;
  /** Answers a request itself instead of forwarding it (e.g. a 503 SlowDown), when it returns a reply. */
  intercept?: (req: http.IncomingMessage) => { status: number; body: string } | undefined;
  faults?: FaultSchedule;
  /**
   * Forward a PutObject only once its whole body arrived, as S3 stores it: s3rver writes the bytes
   * over the old object as they come, so an upload cut short would leave a short object there,
   * where S3 keeps the old one. A body shorter than its Content-Length is refused like S3 does.
   */
  atomicPuts?: boolean;
}

/** Multipart uploads seen through the proxy, by upload id (from the server's answers). */
export interface UploadLedger {
  created: Map<string, string>;
  completed: Set<string>;
  aborted: Set<string>;
  /** Parts or completions sent for an upload already aborted (refused with NoSuchUpload). */
  afterAbort: number;
}

export interface Proxy {
  endpoint: string;
  requests: number;
  /** Faults injected so far, by kind. */
  injected: Record<Fault, number>;
  uploads: UploadLedger;
  /** Keys of uploads created and neither completed nor aborted: what would keep costing money on S3. */
  openUploads(): string[];
  close(): Promise<void>;
}

/** S3's answer to a client going too fast, as S3 sends it. */
export const SLOW_DOWN_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>' +
  '<RequestId>FAULTPROXY0001</RequestId><HostId>fault-proxy</HostId></Error>';

const NO_SUCH_UPLOAD_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist. ' +
  'The upload ID may be invalid, or the upload may have been aborted or completed.</Message></Error>';

/** A deterministic pseudo-random source (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Faults drawn per request number from a seeded source: `rates` are shares of all requests (0.1 = 10 %). */
export function seededFaults(seed: number, rates: Partial<Record<Fault, number>>, applies: (req: http.IncomingMessage) => boolean = () => true): FaultSchedule {
  const draws = new Map<number, number>();
  const random = seededRandom(seed);
  const drawFor = (n: number) => {
    // Draw in request order so request n always gets the same number, whatever came before.
    while (draws.size < n) draws.set(draws.size + 1, random());
    return draws.get(n)!;
  };
  return (req, n) => {
    const draw = drawFor(n);
    if (!applies(req)) return undefined;
    let edge = 0;
    for (const [fault, rate] of Object.entries(rates) as [Fault, number][]) {
      edge += rate;
      if (draw < edge) return fault;
    }
    return undefined;
  };
}

export const isObjectGet = (req: http.IncomingMessage) => req.method === 'GET' && !/[?&](list-type|uploads|location)/.test(req.url ?? '') && /^\/[^/?]+\/[^?]/.test(req.url ?? '');
export const isListing = (req: http.IncomingMessage) => req.method === 'GET' && /[?&]list-type=2/.test(req.url ?? '');

/**
 * A plain HTTP forwarder in front of an S3 endpoint. Headers go through untouched (the Host
 * header is part of the SigV4 signature), bodies are piped both ways; `faults` break requests
 * the ways a real network and a busy S3 do.
 */
export async function startProxy(upstream: string, opts: ProxyOptions = {}): Promise<Proxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const uploads: UploadLedger = { created: new Map(), completed: new Set(), aborted: new Set(), afterAbort: 0 };
  const stalled = new Set<http.ServerResponse>();
  const proxy: Proxy = {
    endpoint: '',
    requests: 0,
    injected: { 'slow-down': 0, reset: 0, truncate: 0, stall: 0 },
    uploads,
    openUploads: () => [...uploads.created].filter(([id]) => !uploads.completed.has(id) && !uploads.aborted.has(id)).map(([, key]) => key),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const n = ++proxy.requests;
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
      const fault = opts.faults?.(req, n);
      if (fault === 'slow-down') {
        proxy.injected['slow-down']++;
        req.resume();
        res.writeHead(503, { 'content-type': 'application/xml', 'x-amz-request-id': 'FAULTPROXY0001' }).end(SLOW_DOWN_XML);
        return;
      }
      if (fault === 'reset') {
        proxy.injected.reset++;
        req.socket.resetAndDestroy();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://proxy');
      const uploadId = url.searchParams.get('uploadId');
      // s3rver has no AbortMultipartUpload (it answers 405): the proxy plays S3's part, and like
      // S3 refuses parts and completion of an aborted upload.
      if (uploadId && req.method === 'DELETE') {
        uploads.aborted.add(uploadId);
        req.resume();
        res.writeHead(204).end();
        return;
      }
      if (uploadId && uploads.aborted.has(uploadId)) {
        // A part whose client already hung up (its request aborted before the abort was sent,
        // reaching this loaded proxy late) could never land in S3: only a live one counts.
        if (!req.socket.destroyed) uploads.afterAbort++;
        req.resume();
        res.writeHead(404, { 'content-type': 'application/xml' }).end(NO_SUCH_UPLOAD_XML);
        return;
      }
      if (opts.atomicPuts && req.method === 'PUT' && !uploadId && !req.headers['x-amz-copy-source'] && url.pathname.split('/').length > 2) {
        const body = await wholeBody(req);
        if (body === undefined) return; // the client went away mid-upload: nothing is stored
        if (body.length !== Number(req.headers['content-length'])) {
          res.writeHead(400, { 'content-type': 'application/xml' }).end(INCOMPLETE_BODY_XML);
          return;
        }
        const out = http.request({ host: target.hostname, port: target.port, method: 'PUT', path: req.url, headers: req.headers, agent }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => res.destroy());
        out.end(body);
        return;
      }
      const out = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
        (upstreamRes) => {
          const status = upstreamRes.statusCode ?? 502;
          const length = Number(upstreamRes.headers['content-length'] ?? 0);
          if ((fault === 'truncate' || fault === 'stall') && status === 200 && length > 1) {
            proxy.injected[fault]++;
            res.writeHead(status, upstreamRes.headers);
            let left = Math.floor(length / 2);
            upstreamRes.on('data', (chunk: Buffer) => {
              if (left <= 0) return;
              const piece = chunk.subarray(0, left);
              left -= piece.length;
              res.write(piece);
              if (left > 0) return;
              if (fault === 'truncate') setTimeout(() => req.socket.resetAndDestroy(), 20);
              else stalled.add(res);
            });
            return;
          }
          trackUploads(req.method ?? '', url, status, upstreamRes, uploads);
          res.writeHead(status, upstreamRes.headers);
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
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
      agent.destroy();
    });
  return proxy;
}

/** A request's whole body, or undefined when the client dropped the connection before its end. */
function wholeBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const pieces: Buffer[] = [];
    req.on('data', (piece: Buffer) => pieces.push(piece));
    req.on('end', () => resolve(Buffer.concat(pieces)));
    req.on('close', () => resolve(req.complete ? Buffer.concat(pieces) : undefined));
    req.resume();
  });
}

const INCOMPLETE_BODY_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>IncompleteBody</Code><Message>You did not provide the number of bytes specified by the Content-Length HTTP header.</Message></Error>';

/** Records CreateMultipartUpload, CompleteMultipartUpload and AbortMultipartUpload answers that succeeded. */
function trackUploads(method: string, url: URL, status: number, answer: http.IncomingMessage, uploads: UploadLedger): void {
  if (status < 200 || status >= 300) return;
  const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
  const uploadId = url.searchParams.get('uploadId');
  if (method === 'POST' && url.searchParams.has('uploads')) {
    let xml = '';
    answer.on('data', (chunk: Buffer) => (xml += chunk));
    answer.on('end', () => {
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(xml)?.[1];
      if (id) uploads.created.set(id, key);
    });
  } else if (method === 'POST' && uploadId) {
    uploads.completed.add(uploadId);
  }
}
