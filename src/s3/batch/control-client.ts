import { S3ControlClient } from '@aws-sdk/client-s3-control';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { boundedRequestHandler, type SdkTimeouts } from '../../aws/request-handler.js';

/**
 * S3 Control (Batch Operations' API). Its endpoint is `<account>.s3-control.<region>.amazonaws.com`;
 * `AWS_ENDPOINT_URL_S3_CONTROL` points it elsewhere, as for the other services. The SDK puts the
 * account id in front of that host too, which a `localhost` endpoint (a local S3 Control server)
 * cannot take: there the prefix is dropped again.
 */
export function createS3ControlClient(region: string, timeouts: SdkTimeouts, credentials?: AwsCredentialIdentityProvider): S3ControlClient {
  const client = new S3ControlClient({ region, requestHandler: boundedRequestHandler(timeouts), ...(credentials ? { credentials } : {}) });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { hostname?: string; headers?: Record<string, string> };
      if (request.hostname && /^\d{12}\.localhost$/.test(request.hostname)) {
        request.hostname = 'localhost';
        if (request.headers?.host) request.headers.host = request.headers.host.replace(/^\d{12}\./, '');
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'localS3ControlHost', priority: 'high' },
  );
  return client;
}
