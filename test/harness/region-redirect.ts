/**
 * A path-style S3 front that behaves like S3 for a bucket in another region: a request signed
 * for the wrong region is answered `301 PermanentRedirect` with the bucket's region in
 * `x-amz-bucket-region` (and, for GET/PUT/…, the XML error S3 sends). Requests signed for the
 * right region pass through unchanged to the upstream (s3rver).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signedRegion } from './fake-aws.js';

export interface RegionRedirectCall {
  method: string;
  bucket: string;
  /** Region the client signed for. */
  region: string;
  status: number;
}

export interface RegionRedirect {
  endpoint: string;
  calls: RegionRedirectCall[];
  close(): Promise<void>;
}

/** `bucketRegions`: bucket → the region it lives in; other buckets are never redirected. */
export async function startRegionRedirect(upstream: string, bucketRegions: Record<string, string>): Promise<RegionRedirect> {
  const calls: RegionRedirectCall[] = [];
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const bucket = decodeURIComponent((req.url ?? '/').split('?')[0]!.split('/')[1] ?? '');
    const region = signedRegion(req);
    const home = bucketRegions[bucket];
    if (home && region !== home) {
      calls.push({ method: req.method ?? 'GET', bucket, region, status: 301 });
      req.resume();
      const body =
        req.method === 'HEAD'
          ? ''
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>${bucket}.s3.${home}.amazonaws.com</Endpoint><Bucket>${bucket}</Bucket><RequestId>0000000000000000</RequestId></Error>`;
      res.writeHead(301, { 'content-type': 'application/xml', 'x-amz-bucket-region': home, 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
      return;
    }
    calls.push({ method: req.method ?? 'GET', bucket, region, status: 0 });
    const call = calls[calls.length - 1]!;
    // The Host header is forwarded unchanged: it is part of what the client signed.
    const forward = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      call.status = answer.statusCode ?? 502;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (error) => res.writeHead(502).end(String(error)));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
