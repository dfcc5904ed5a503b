import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { boundedRequestHandler, describeTimeout, type SdkTimeouts } from '../aws/request-handler.js';
import { CONNECT_TIMEOUT_MS, DEFAULT_NETWORK_TIMEOUT, S3_IDLE_FACTOR } from '../config/network-options.js';
import { parseDuration } from '../config/inputs.js';
import { readAll } from './copy.js';
import type { ObjectEntry } from './list.js';
import { LISTED_ENTRIES, takeListEntries } from './list-parse.js';

export interface S3ClientOptions {
  region: string;
  endpoint?: string;
  credentials?: S3ClientConfig['credentials'];
  maxSockets?: number;
  /** Default: connect 10 s, idle 4 × the default `network-timeout`. */
  connectTimeoutMs?: number;
  /** The longest silence on a connection, sending or receiving; never a cap on a whole transfer. */
  idleTimeoutMs?: number;
}

/** Enough for the largest `concurrency` plus a listing running alongside. */
export const DEFAULT_MAX_SOCKETS = 600;

export function createS3Client(opts: S3ClientOptions): S3Client {
  const maxSockets = opts.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const timeouts: SdkTimeouts = {
    connectTimeoutMs: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    idleTimeoutMs: opts.idleTimeoutMs ?? S3_IDLE_FACTOR * parseDuration(DEFAULT_NETWORK_TIMEOUT)!,
  };
  let learnedRegion: string | undefined;
  const client = new S3Client({
    region: async () => learnedRegion ?? opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    // A bucket in another region answers 301 PermanentRedirect naming its region
    // (x-amz-bucket-region): the SDK then signs again for that region instead of failing.
    followRegionRedirects: true,
    // Checksums only where S3 requires them: with the default, streamed uploads are sent with
    // aws-chunked framing, which several S3-compatible stores save as part of the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A timed-out request is retried like a throttled one (the SDK counts TimeoutError as transient).
    maxAttempts: MAX_ATTEMPTS,
    // No bound on the time to an answer (an upload of a large object takes as long as it takes),
    // only on silence. The SDK's default of 50 sockets would cap the copy concurrency below what
    // the input allows.
    requestHandler: boundedRequestHandler(timeouts, { maxSockets }),
    // Silent like the SDK's default logger, which would otherwise print "An error was encountered
    // in a non-retryable streaming request" for each streamed upload the copy engine retries whole.
    logger: SILENT_LOGGER,
    // The middleware stack is resolved once per command type instead of once per request: at
    // thousands of CopyObject calls that resolution was a tenth of the action's CPU.
    cacheMiddleware: true,
  });
  // S3's region redirect costs a request per call: once S3 has said where the bucket is, the
  // client signs for that region from the start. (A side's client talks to its own bucket.)
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const redirected = (context as { __s3RegionRedirect?: string }).__s3RegionRedirect;
      if (redirected) learnedRegion = redirected;
      return result;
    },
    { step: 'initialize', name: 'rememberBucketRegion', priority: 'high' },
  );
  readListEntriesFast(client);
  // Outermost (before the SDK's retries): the last timeout, told in our words.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw explainTimeout(error, timeouts, context.commandName, (args.input as { Bucket?: string }).Bucket, opts.endpoint);
      }
    },
    { step: 'initialize', name: 'explainS3Timeout' },
  );
  return client;
}

/**
 * ListObjectsV2 answers: the `<Contents>` entries are read by `takeListEntries` and handed on with
 * the output (`listedEntries`); the SDK parses the rest of the answer as usual. An answer the
 * reader does not recognise, and every error answer, goes to the SDK untouched.
 */
function readListEntriesFast(client: S3Client): void {
  const taken = new WeakMap<object, ObjectEntry[]>();
  // Right inside the SDK's deserializer (every command has one; S3's check for errors sent with
  // status 200 is only on some), so it sees the raw answer and hands on the rest of it.
  type Handler = (args: unknown) => Promise<{ response: unknown; output: object }>;
  client.middlewareStack.addRelativeTo(
    ((next: Handler, context: { commandName?: string }) => async (args: unknown) => {
      const result = await next(args);
      const response = result.response as { statusCode?: number; body?: unknown };
      if (context.commandName !== 'ListObjectsV2Command' || !response.statusCode || response.statusCode < 200 || response.statusCode >= 300) return result;
      const bytes = await readAll(response.body as AsyncIterable<Uint8Array> | Uint8Array);
      const read = takeListEntries(bytes.toString('utf8'));
      response.body = read ? Buffer.from(read.rest) : bytes;
      if (read) taken.set(context, read.entries);
      else taken.delete(context);
      return result;
    }) as unknown as Parameters<S3Client['middlewareStack']['addRelativeTo']>[0],
    { name: 'readListEntriesFast', relation: 'after', toMiddleware: 'deserializerMiddleware' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const entries = taken.get(context);
      if (entries) Object.defineProperty(result.output, LISTED_ENTRIES, { value: entries });
      return result;
    },
    { step: 'initialize', name: 'attachListEntries' },
  );
}

const MAX_ATTEMPTS = 5;
// No `info`: the SDK logs every response at info level, and only skips building that entry (a
// filtered copy of input and output, a tenth of a CopyObject's CPU) when the method is missing.
const SILENT_LOGGER = { debug() {}, warn() {}, error() {} } as unknown as NonNullable<S3ClientConfig['logger']>;

/** A timeout becomes an error that says which call, which bound and what to do; anything else is unchanged. */
function explainTimeout(error: unknown, timeouts: SdkTimeouts, command = 'request', bucket?: string, endpoint?: string): unknown {
  const timeout = describeTimeout(error, timeouts);
  if (!timeout) return error;
  const operation = command.replace(/Command$/, '');
  const where = endpoint ? ` at \`s3-endpoint\` ${endpoint}` : '';
  const explained = new Error(
    `S3 did not answer ${operation}${bucket ? ` on bucket \`${bucket}\`` : ''}${where} (${timeout}, ${MAX_ATTEMPTS} attempts). ` +
      'Check that the runner reaches S3 (a proxy or firewall may hold the connection); raise `network-timeout` if S3 is just slow (S3 may stay silent 4 times that long).',
  );
  // Still a timeout for the copy engine's retries.
  explained.name = 'TimeoutError';
  return explained;
}
