/**
 * Local stand-ins for the services the action reaches that cannot run here: the GitHub OIDC
 * token endpoint, STS (query API, XML), Secrets Manager (JSON 1.1) and Lambda Invoke and
 * InvokeWithResponseStream (event-stream framing; functions are closures or built bundles run in a
 * child process, see fake-lambda.ts), plus an
 * S3 gateway in front of s3rver that enforces which role may read or write which bucket (s3rver
 * checks signatures but has no permissions). They speak the real wire protocols, so the action's
 * real SDK clients and @actions/core run unchanged; the action finds them through the SDK's
 * standard AWS_ENDPOINT_URL_<SERVICE> variables and the runner's ACTIONS_ID_TOKEN_REQUEST_* ones.
 *
 * Callers are told apart by their session token (every fake role gets s3rver's key pair, which
 * s3rver requires, and its own token); a request without a token comes from the default chain.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { runBundle, type BundleFunction } from './fake-lambda.js';

export interface FakeRole {
  arn: string;
  account: string;
  /** Trust policy `sub` condition (StringLike: `*` matches anything). */
  trustedSub: string;
  /** Buckets this role may list/read, and write. */
  readBuckets?: string[];
  writeBuckets?: string[];
}

export interface FunctionAnswer {
  payload?: unknown;
  /** `Unhandled` / `Handled`, sent as X-Amz-Function-Error. */
  functionError?: string;
  log?: string;
}

export interface FakeFunction {
  invokers: string[];
  handler?: (payload: unknown) => Promise<FunctionAnswer> | FunctionAnswer;
  bundle?: BundleFunction;
}

export interface FakeAwsOptions {
  roles: FakeRole[];
  /** `sub` claim of the OIDC tokens the fake GitHub issues. */
  oidcSub?: string;
  /** Identity of callers without a session token (the default credential chain). */
  defaultIdentity?: { account: string; arn: string };
  /** Secret id → value and the role ARNs (or `default`) allowed to read it. */
  secrets?: Record<string, { value: string; readers: string[] }>;
  /** Function name → handler (or a built bundle run per call) and the role ARNs allowed to invoke it. */
  functions?: Record<string, FakeFunction>;
  /** Answer InvokeWithResponseStream with an error (an endpoint without response streaming). */
  noResponseStreaming?: boolean;
  /** Answer the first N AssumeRoleWithWebIdentity calls with Throttling. */
  throttleFirst?: number;
  /** Answer the next N calls (after throttling) with IDPCommunicationError. */
  idpErrorsFirst?: number;
  /** Lifetime of issued role credentials (default: the requested DurationSeconds). */
  credentialLifetimeSeconds?: number;
  /** s3rver's endpoint; the gateway forwards allowed requests there. */
  s3Upstream?: string;
}

/**
 * How a service stalls: `no-answer` reads the request and never answers (a hung endpoint, a
 * black-holed connection); `mid-body` sends the status, the headers and half the body, then
 * nothing more (a connection that dies during the transfer).
 */
export type HangMode = 'no-answer' | 'mid-body';

export interface FakeCall {
  service: 'oidc' | 'sts' | 'secretsmanager' | 'lambda' | 's3';
  action: string;
  /** Role ARN of the caller, `default`, or `anonymous`. */
  caller: string;
  params: Record<string, string>;
  status: number;
  /** Region of the request's SigV4 credential scope (what the client signed for); empty when unsigned. */
  region: string;
}

export interface FakeAws {
  /** Variables that point the action at the fakes (as the runner and the SDK read them). */
  env: Record<string, string>;
  /** Path-style S3 endpoint that enforces the roles' bucket permissions. */
  s3Endpoint: string;
  calls: FakeCall[];
  /** Every secret the fakes handed out (tokens, keys, secret values): none may reach the log. */
  issuedSecrets: string[];
  /** Services that accept requests and then stall, until the test deletes the entry. */
  hang: Partial<Record<FakeCall['service'], HangMode>>;
  /** Who signed a request (role ARN, `default` or `anonymous`), for other fakes that check permissions. */
  callerOf(req: IncomingMessage): string;
  close(): Promise<void>;
}

/** s3rver accepts only registered keys; the roles use its default pair and differ by session token. */
const S3RVER_KEY = 'S3RVER';
const OIDC_REQUEST_TOKEN = `ghs_request_${randomBytes(8).toString('hex')}`;

export async function startFakeAws(opts: FakeAwsOptions): Promise<FakeAws> {
  const calls: FakeCall[] = [];
  const issuedSecrets: string[] = [OIDC_REQUEST_TOKEN];
  const issuedTokens = new Set<string>();
  const sessions = new Map<string, FakeRole>(); // session token → role
  let throttleLeft = opts.throttleFirst ?? 0;
  let idpLeft = opts.idpErrorsFirst ?? 0;
  const sub = opts.oidcSub ?? 'repo:acme/bookshelf:environment:staging';
  const hang: FakeAws['hang'] = {};

  const callerOf = (req: IncomingMessage): string => {
    const token = req.headers['x-amz-security-token'];
    if (typeof token === 'string') return sessions.get(token)?.arn ?? 'unknown-session';
    return /Credential=/.test(String(req.headers.authorization ?? '')) ? 'default' : 'anonymous';
  };
  const record = (req: IncomingMessage, call: Omit<FakeCall, 'region'>) => calls.push({ ...call, region: signedRegion(req) });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const service = serviceOf(req, url);
    const stall = service && hang[service];
    if (stall) {
      record(req, { service: service!, action: 'hang', caller: callerOf(req), params: { mode: stall }, status: 0 });
      return stallAnswer(res, stall);
    }
    try {
      if (req.method === 'GET' && url.pathname === '/oidc/token') return oidcToken(req, res, url);
      if (req.method === 'POST' && url.pathname.startsWith('/2015-03-31/functions/')) return await lambdaInvoke(req, res, url, body);
      if (req.method === 'POST' && url.pathname.startsWith('/2021-11-15/functions/')) return await lambdaInvokeStreaming(req, res, url, body);
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target.startsWith('secretsmanager.')) return secretsManager(req, res, target, body);
      if (req.method === 'POST' && String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return sts(req, res, body);
      res.writeHead(404).end('unknown fake AWS route');
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });

  function serviceOf(req: IncomingMessage, url: URL): FakeCall['service'] | undefined {
    if (url.pathname === '/oidc/token') return 'oidc';
    if (url.pathname.startsWith('/2015-03-31/functions/') || url.pathname.startsWith('/2021-11-15/functions/')) return 'lambda';
    if (String(req.headers['x-amz-target'] ?? '').startsWith('secretsmanager.')) return 'secretsmanager';
    if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return 'sts';
    return undefined;
  }

  function oidcToken(req: IncomingMessage, res: ServerResponse, url: URL) {
    const audience = url.searchParams.get('audience') ?? 'https://github.com/acme';
    if (req.headers.authorization !== `Bearer ${OIDC_REQUEST_TOKEN}`) {
      record(req, { service: 'oidc', action: 'token', caller: 'anonymous', params: { audience }, status: 401 });
      return json(res, 401, { message: 'Bad credentials' });
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'https://token.actions.githubusercontent.com', sub, aud: audience, jti: randomBytes(8).toString('hex'), repository: 'acme/bookshelf', iat: now, exp: now + 300 };
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
    issuedTokens.add(jwt);
    issuedSecrets.push(jwt);
    record(req, { service: 'oidc', action: 'token', caller: 'runner', params: { audience, jwt }, status: 200 });
    json(res, 200, { count: 1, value: jwt });
  }

  function sts(req: IncomingMessage, res: ServerResponse, body: string) {
    const form = Object.fromEntries(new URLSearchParams(body));
    const action = form.Action ?? '';
    const caller = callerOf(req);
    const fail = (status: number, code: string, message: string) => {
      record(req, { service: 'sts', action, caller, params: form, status });
      xml(res, status, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`);
    };
    if (action === 'AssumeRoleWithWebIdentity') {
      if (throttleLeft > 0) return throttleLeft--, fail(400, 'Throttling', 'Rate exceeded');
      if (idpLeft > 0) return idpLeft--, fail(400, 'IDPCommunicationError', 'Couldn\'t retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements');
      const token = form.WebIdentityToken ?? '';
      if (!issuedTokens.has(token)) return fail(400, 'InvalidIdentityToken', 'Couldn\'t parse the token');
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; aud: string };
      if (claims.aud !== 'sts.amazonaws.com') return fail(400, 'InvalidIdentityToken', 'Incorrect token audience');
      const role = opts.roles.find((r) => r.arn === form.RoleArn);
      if (!role || !likeMatch(role.trustedSub, claims.sub)) return fail(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      if (!/^[\w+=,.@-]{2,64}$/.test(form.RoleSessionName ?? '')) return fail(400, 'ValidationError', `1 validation error detected: Value '${form.RoleSessionName}' at 'roleSessionName' failed to satisfy constraint`);
      const sessionToken = `FQoGZXIvYXdzE${randomBytes(24).toString('base64url')}`;
      sessions.set(sessionToken, role);
      issuedSecrets.push(sessionToken);
      const expiration = new Date(Date.now() + (opts.credentialLifetimeSeconds ?? Number(form.DurationSeconds ?? 3600)) * 1000).toISOString();
      const roleName = role.arn.split('/').pop();
      record(req, { service: 'sts', action, caller: role.arn, params: { ...form, WebIdentityToken: token }, status: 200 });
      return xml(
        res,
        200,
        `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>` +
          `<SubjectFromWebIdentityToken>${claims.sub}</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>` +
          `<AssumedRoleUser><Arn>arn:aws:sts::${role.account}:assumed-role/${roleName}/${form.RoleSessionName}</Arn><AssumedRoleId>AROAFAKE:${form.RoleSessionName}</AssumedRoleId></AssumedRoleUser>` +
          `<Credentials><SessionToken>${sessionToken}</SessionToken><SecretAccessKey>${S3RVER_KEY}</SecretAccessKey><Expiration>${expiration}</Expiration><AccessKeyId>${S3RVER_KEY}</AccessKeyId></Credentials>` +
          `<Provider>token.actions.githubusercontent.com</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
      );
    }
    if (action === 'GetCallerIdentity') {
      const role = opts.roles.find((r) => r.arn === caller);
      const who = role
        ? { account: role.account, arn: `arn:aws:sts::${role.account}:assumed-role/${role.arn.split('/').pop()}/session` }
        : caller === 'default' && opts.defaultIdentity
          ? opts.defaultIdentity
          : undefined;
      if (!who) return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      record(req, { service: 'sts', action, caller, params: form, status: 200 });
      return xml(
        res,
        200,
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${who.arn}</Arn><UserId>AROAFAKE:session</UserId><Account>${who.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    }
    fail(400, 'InvalidAction', `Could not find operation ${action}`);
  }

  function secretsManager(req: IncomingMessage, res: ServerResponse, target: string, body: string) {
    const caller = callerOf(req);
    const input = JSON.parse(body || '{}') as { SecretId?: string };
    const secretId = input.SecretId ?? '';
    const fail = (status: number, type: string, message: string) => {
      record(req, { service: 'secretsmanager', action: target, caller, params: { SecretId: secretId }, status });
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId() });
      res.end(JSON.stringify({ __type: type, Message: message }));
    };
    if (target !== 'secretsmanager.GetSecretValue') return fail(400, 'InvalidRequestException', `unsupported ${target}`);
    const secret = opts.secrets?.[secretId];
    if (!secret) return fail(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (!secret.readers.includes(caller)) {
      return fail(400, 'AccessDeniedException', `User: ${caller} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretId}`);
    }
    record(req, { service: 'secretsmanager', action: target, caller, params: { SecretId: secretId }, status: 200 });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId() });
    res.end(
      JSON.stringify({
        ARN: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${secretId}-AbCdEf`,
        Name: secretId,
        SecretString: secret.value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      }),
    );
  }

  /** What both Invoke calls start with: the function named in the path, who calls, the request as recorded, an error answer. */
  function lambdaCall(req: IncomingMessage, res: ServerResponse, url: URL, body: string, action: 'Invoke' | 'InvokeWithResponseStream') {
    const name = decodeURIComponent(url.pathname.split('/')[3] ?? '');
    const caller = callerOf(req);
    const params = {
      FunctionName: name,
      InvocationType: String(req.headers['x-amz-invocation-type'] ?? ''),
      LogType: String(req.headers['x-amz-log-type'] ?? ''),
      Payload: body,
    };
    const fail = (status: number, type: string, message: string) => {
      record(req, { service: 'lambda', action, caller, params, status });
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': requestId() });
      res.end(JSON.stringify({ Type: 'User', message }));
    };
    return { name, caller, params, fail };
  }

  async function lambdaInvoke(req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
    const { name, caller, params, fail } = lambdaCall(req, res, url, body, 'Invoke');
    const fn = opts.functions?.[name.replace(/^.*:function:/, '').replace(/:.*$/, '')];
    if (!fn) return fail(404, 'ResourceNotFoundException', `Function not found: ${name}`);
    if (!fn.invokers.includes(caller)) return fail(403, 'AccessDeniedException', `User: ${caller} is not authorized to perform: lambda:InvokeFunction on resource: ${name}`);
    const answer = await callFunction(fn, body);
    record(req, { service: 'lambda', action: 'Invoke', caller, params, status: 200 });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': requestId() };
    if (answer.functionError) headers['x-amz-function-error'] = answer.functionError;
    if (params.LogType === 'Tail') {
      // Lambda returns at most the last 4 KB of the log.
      headers['x-amz-log-result'] = Buffer.from(Buffer.from(answer.log ?? '').subarray(-4096)).toString('base64');
    }
    res.writeHead(200, headers);
    // A streamed body is sent as it was written (newline-delimited JSON), not as a JSON string.
    res.end(answer.streamed && typeof answer.payload === 'string' ? answer.payload : answer.payload === undefined ? 'null' : JSON.stringify(answer.payload));
  }

  /** A closure's answer, or the bundle run in a child process; its time limit answers as Lambda's does. */
  async function callFunction(fn: FakeFunction, body: string, onChunk?: (text: string) => void): Promise<FunctionAnswer & { streamed?: boolean }> {
    if (fn.handler) return fn.handler(JSON.parse(body || 'null'));
    const run = await runBundle(fn.bundle!, body || 'null', onChunk);
    if (run.timedOut) {
      const seconds = (fn.bundle!.timeoutMs / 1000).toFixed(2);
      return { functionError: 'Unhandled', payload: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: fake Error: Task timed out after ${seconds} seconds` }, log: `${run.log}Task timed out after ${seconds} seconds\n`, streamed: run.chunks.length > 0 };
    }
    if (run.error) return { functionError: 'Unhandled', payload: run.error, log: run.log };
    // A streaming handler invoked without streaming: Lambda answers with the whole streamed body.
    return { payload: run.chunks.length > 0 ? run.chunks.join('') : run.result, log: run.log, streamed: run.chunks.length > 0 };
  }

  /**
   * InvokeWithResponseStream: 200 at once, then `application/vnd.amazon.eventstream` messages —
   * a PayloadChunk per write of a streaming handler (one with the whole answer for a buffered
   * one), then InvokeComplete with the error code and the log tail.
   */
  async function lambdaInvokeStreaming(req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
    const { name, caller, params, fail } = lambdaCall(req, res, url, body, 'InvokeWithResponseStream');
    if (opts.noResponseStreaming) return fail(404, 'UnknownOperationException', 'Unknown operation InvokeWithResponseStream');
    const fn = opts.functions?.[name.replace(/^.*:function:/, '').replace(/:.*$/, '')];
    if (!fn) return fail(404, 'ResourceNotFoundException', `Function not found: ${name}`);
    if (!fn.invokers.includes(caller)) return fail(403, 'AccessDeniedException', `User: ${caller} is not authorized to perform: lambda:InvokeFunction on resource: ${name}`);
    record(req, { service: 'lambda', action: 'InvokeWithResponseStream', caller, params, status: 200 });
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': requestId() });
    const event = (type: string, contentType: string, payload: Uint8Array) =>
      res.write(
        EVENT_CODEC.encode({
          headers: {
            ':message-type': { type: 'string', value: 'event' },
            ':event-type': { type: 'string', value: type },
            ':content-type': { type: 'string', value: contentType },
          },
          body: payload,
        }),
      );
    const answer = await callFunction(fn, body, (text) => event('PayloadChunk', 'application/octet-stream', utf8(text)));
    if (!answer.streamed && answer.payload !== undefined) event('PayloadChunk', 'application/octet-stream', utf8(JSON.stringify(answer.payload)));
    const complete: Record<string, string> = {};
    if (answer.functionError) {
      const p = answer.payload as { errorType?: string; errorMessage?: string } | undefined;
      complete.ErrorCode = p?.errorType === 'Sandbox.Timedout' ? p.errorType : answer.functionError;
      complete.ErrorDetails = p?.errorMessage ?? '';
    }
    if (params.LogType === 'Tail') complete.LogResult = Buffer.from(Buffer.from(answer.log ?? '').subarray(-4096)).toString('base64');
    event('InvokeComplete', 'application/json', utf8(JSON.stringify(complete)));
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The S3 gateway: the bucket policy s3rver lacks.
  const gateway = http.createServer((req, res) => {
    const caller = callerOf(req);
    const bucket = decodeURIComponent((req.url ?? '/').split('?')[0]!.split('/')[1] ?? '');
    const write = !['GET', 'HEAD'].includes(req.method ?? 'GET');
    if (hang.s3) {
      record(req, { service: 's3', action: 'hang', caller, params: { mode: hang.s3, path: req.url ?? '' }, status: 0 });
      req.resume();
      return stallAnswer(res, hang.s3);
    }
    const role = opts.roles.find((r) => r.arn === caller);
    const allowed = caller === 'default' || (role && (write ? role.writeBuckets : [...(role.readBuckets ?? []), ...(role.writeBuckets ?? [])])?.includes(bucket));
    record(req, { service: 's3', action: `${req.method} ${bucket}`, caller, params: { bucket, path: req.url ?? '' }, status: allowed ? 200 : 403 });
    if (!allowed || !opts.s3Upstream) {
      req.resume();
      return xml(res, 403, `<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>${requestId()}</RequestId></Error>`);
    }
    const upstream = new URL(opts.s3Upstream);
    // The Host header is forwarded unchanged: it is part of what the client signed.
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => res.writeHead(502).end(String(error)));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const s3Endpoint = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;

  return {
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/oidc/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: OIDC_REQUEST_TOKEN,
      AWS_ENDPOINT_URL_STS: base,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: base,
      AWS_ENDPOINT_URL_LAMBDA: base,
      // No instance metadata lookups when a test means "no default credentials".
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    s3Endpoint,
    calls,
    issuedSecrets,
    hang,
    callerOf,
    async close() {
      server.closeAllConnections();
      gateway.closeAllConnections();
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => gateway.close(r))]);
    },
  };
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const EVENT_CODEC = new EventStreamCodec((bytes: Uint8Array) => Buffer.from(bytes).toString('utf8'), utf8);

/** The region in `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/sts/aws4_request, …`. */
export function signedRegion(req: IncomingMessage): string {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
}

/** IAM StringLike: `*` matches any run of characters, `?` one character. */
function likeMatch(pattern: string, text: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** Accepts and then stalls (see HangMode); the connection stays open until the client gives up. */
function stallAnswer(res: ServerResponse, mode: HangMode) {
  if (mode === 'no-answer') return;
  const half = '<?xml version="1.0" encoding="UTF-8"?>\n<Stalled>'.padEnd(512, ' ');
  res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(half.length * 2), 'x-amzn-requestid': requestId() });
  res.write(half);
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function xml(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() });
  res.end(body);
}

const requestId = () => randomBytes(16).toString('hex').replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5');
