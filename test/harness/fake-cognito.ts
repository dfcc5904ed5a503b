/**
 * A local stand-in for Amazon Cognito user pools, speaking the real Cognito Identity Provider
 * protocol (JSON 1.1: `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`
 * and `Content-Type: application/x-amz-json-1.1`), so the action's real
 * @aws-sdk/client-cognito-identity-provider runs unchanged. The action finds it through the SDK's
 * standard AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER variable, as it finds the other fakes.
 *
 * ListUsers is paginated as Cognito does it: at most `pageSize` users per page (and no more than
 * the request's `Limit`), an opaque `PaginationToken` while users remain, `AttributesToGet` honoured.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePoolUser {
  username: string;
  /** Omitted: a user without an `email` attribute (e.g. a phone-only sign-up). */
  email?: string;
  sub: string;
  enabled?: boolean;
}

export interface FakeCognitoOptions {
  /** User pool id → its users, in listing order. */
  pools: Record<string, FakePoolUser[]>;
  /** Users per page at most (Cognito's own maximum is 60); small, so tests cross pages. */
  pageSize?: number;
  /** Answer ListUsers with this error: from the first page, or only from page `fromPage` (1-based) on. */
  failure?: { status: number; type: string; message: string; fromPage?: number };
  /** Who signed a request (e.g. FakeAws.callerOf); with `allowedCallers`, others get AccessDeniedException. */
  callerOf?: (req: IncomingMessage) => string;
  allowedCallers?: string[];
}

export interface CognitoCall {
  action: string;
  userPoolId: string;
  /** Who signed: `callerOf`'s answer, else the access key id from the SigV4 Authorization header. */
  caller: string;
  paginationToken?: string;
  limit?: number;
  status: number;
}

export interface FakeCognito {
  endpoint: string;
  /** Variables that point the action's Cognito client here. */
  env: Record<string, string>;
  calls: CognitoCall[];
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';

export async function startFakeCognito(opts: FakeCognitoOptions): Promise<FakeCognito> {
  const calls: CognitoCall[] = [];
  const pageSize = opts.pageSize ?? 3;
  // Token → where the next page starts; tokens are opaque and only valid for the pool that issued them.
  const tokens = new Map<string, { userPoolId: string; offset: number; page: number }>();

  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        handle(req, res, body);
      } catch (error) {
        send(res, 500, { __type: 'InternalErrorException', message: String(error) });
      }
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || req.url !== '/' || !target.startsWith(TARGET_PREFIX)) {
      return send(res, 400, { __type: 'UnknownOperationException', message: `unknown route ${req.method} ${req.url} ${target}` });
    }
    if (!String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')) {
      return send(res, 400, { __type: 'SerializationException', message: 'Content-Type must be application/x-amz-json-1.1' });
    }
    const action = target.slice(TARGET_PREFIX.length);
    const input = JSON.parse(body || '{}') as { UserPoolId?: string; Limit?: number; PaginationToken?: string; AttributesToGet?: string[] };
    const userPoolId = input.UserPoolId ?? '';
    const caller = opts.callerOf?.(req) ?? /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? 'anonymous';
    const call: CognitoCall = { action, userPoolId, caller, status: 200, ...(input.PaginationToken ? { paginationToken: input.PaginationToken } : {}), ...(input.Limit !== undefined ? { limit: input.Limit } : {}) };
    calls.push(call);
    const fail = (status: number, type: string, message: string) => {
      call.status = status;
      send(res, status, { __type: type, message });
    };
    if (action !== 'ListUsers') return fail(400, 'UnknownOperationException', `${action} is not faked`);
    if (caller === 'anonymous') return fail(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (opts.allowedCallers && !opts.allowedCallers.includes(caller)) {
      return fail(400, 'AccessDeniedException', `User: ${caller} is not authorized to perform: cognito-idp:ListUsers on resource: arn:aws:cognito-idp:us-east-1:222222222222:userpool/${userPoolId} because no identity-based policy allows the cognito-idp:ListUsers action`);
    }
    if (input.Limit !== undefined && (input.Limit < 0 || input.Limit > 60)) {
      return fail(400, 'InvalidParameterException', "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60");
    }
    const users = opts.pools[userPoolId];
    if (!users) return fail(400, 'ResourceNotFoundException', `User pool ${userPoolId} does not exist.`);
    let offset = 0;
    let page = 1;
    if (input.PaginationToken) {
      const from = tokens.get(input.PaginationToken);
      if (!from || from.userPoolId !== userPoolId) return fail(400, 'InvalidParameterException', 'Invalid pagination token.');
      ({ offset, page } = from);
    }
    if (opts.failure && page >= (opts.failure.fromPage ?? 1)) return fail(opts.failure.status, opts.failure.type, opts.failure.message);
    const size = Math.min(pageSize, input.Limit || 60);
    const slice = users.slice(offset, offset + size);
    const wanted = input.AttributesToGet;
    const created = Date.UTC(2025, 0, 1) / 1000;
    const answer: Record<string, unknown> = {
      Users: slice.map((u) => {
        const attributes = [
          { Name: 'sub', Value: u.sub },
          ...(u.email === undefined ? [] : [{ Name: 'email', Value: u.email }, { Name: 'email_verified', Value: 'true' }]),
        ].filter((a) => !wanted || wanted.includes(a.Name));
        return { Username: u.username, Attributes: attributes, UserCreateDate: created, UserLastModifiedDate: created, Enabled: u.enabled ?? true, UserStatus: 'CONFIRMED' };
      }),
    };
    if (offset + size < users.length) {
      const token = randomBytes(24).toString('base64');
      tokens.set(token, { userPoolId, offset: offset + size, page: page + 1 });
      answer.PaginationToken = token;
    }
    send(res, 200, answer);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    env: { AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoint },
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown) {
  const type = (body as { __type?: string }).__type;
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomBytes(16).toString('hex'),
    ...(type ? { 'x-amzn-errortype': type } : {}),
  });
  res.end(JSON.stringify(body));
}
