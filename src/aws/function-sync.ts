import { InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { describeDuration } from '../config/network-options.js';
import { boundedRequestHandler, describeTimeout, type SdkTimeouts } from './request-handler.js';

/** The invoke was sent but no answer came in time: the function may be running, or have run. */
export class InvocationTimedOut extends Error {}

export interface Invocation {
  /** Set when the function itself failed (`Unhandled` / `Handled`). */
  functionError?: string;
  /** The returned JSON (or text when it is not JSON). */
  payload: unknown;
  /** The end of the function's log (`LogType: Tail`: at most its last 4 KB). */
  logTail: string;
}

/** What the invocation needs besides the function and its event. */
export interface InvokeOptions {
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Called with each progress line a streaming function sends, as it arrives. */
  onProgress?: (line: string) => void;
}

/**
 * Invokes `functionName` synchronously, with response streaming so that the function's progress
 * lines reach the log as they happen; a function that does not stream answers in one chunk, and
 * an endpoint that refuses the streaming call (an error answer: the function did not run) gets a
 * plain Invoke instead. Exactly one run of the function: a retry after a timeout would run a
 * second refresh over the first. TCP keep-alive keeps a long-silent connection from being dropped
 * by NAT gateways (which close idle flows after 350 s). `timeoutMs` bounds the whole wait.
 */
export async function invokeFunction(functionName: string, payload: unknown, opts: InvokeOptions): Promise<Invocation> {
  const timeouts: SdkTimeouts = { connectTimeoutMs: opts.connectTimeoutMs, answerTimeoutMs: opts.timeoutMs, idleTimeoutMs: opts.timeoutMs };
  const client = new LambdaClient({
    region: opts.region,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    maxAttempts: 1,
    requestHandler: boundedRequestHandler(timeouts, { keepAliveMsecs: 30_000 }),
  });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
  try {
    try {
      return await invokeStreaming(client, functionName, payload, opts, abort.signal);
    } catch (error) {
      if (!refusedBeforeRunning(error)) throw error;
    }
    return await invokeBuffered(client, functionName, payload, abort.signal, opts.onProgress);
  } catch (error) {
    throw describeInvokeError(error, functionName, opts, timeouts, abort.signal.aborted);
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

/**
 * An error answer to the streaming call other than the ones a plain Invoke would get too: the
 * endpoint does not offer streaming (e.g. an older Lambda-compatible endpoint). The function did not run.
 */
function refusedBeforeRunning(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return status >= 400 && status < 500 && !['AccessDeniedException', 'ResourceNotFoundException', 'TooManyRequestsException'].includes(e.name ?? '');
}

async function invokeBuffered(client: LambdaClient, functionName: string, payload: unknown, abortSignal: AbortSignal, onProgress?: (line: string) => void): Promise<Invocation> {
  const out = await client.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', LogType: 'Tail', Payload: Buffer.from(JSON.stringify(payload)) }),
    { abortSignal },
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  // A streaming function invoked without streaming answers with its whole stream: its lines, at the end.
  const lines = new StreamLines(onProgress);
  for (const line of text.split('\n')) if (text.includes('\n') && line.trim()) lines.take(line);
  return {
    functionError: out.FunctionError || undefined,
    payload: lines.streamed ? lines.result : parsePayload(text),
    logTail: out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '',
  };
}

/**
 * A streaming function writes newline-delimited JSON: `{"type":"progress","line":…}` while it
 * works, then `{"type":"result",…}`. Anything else is a whole answer sent in chunks (a function
 * that does not stream, or the original function's shape).
 */
async function invokeStreaming(client: LambdaClient, functionName: string, payload: unknown, opts: InvokeOptions, abortSignal: AbortSignal): Promise<Invocation> {
  const out = await client.send(
    new InvokeWithResponseStreamCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', LogType: 'Tail', Payload: Buffer.from(JSON.stringify(payload)) }),
    { abortSignal },
  );
  let text = '';
  let pending = '';
  const lines = new StreamLines(opts.onProgress);
  let functionError: string | undefined;
  let errorDetails: string | undefined;
  let logTail = '';
  for await (const event of out.EventStream ?? []) {
    if (event.PayloadChunk?.Payload) {
      const chunk = Buffer.from(event.PayloadChunk.Payload).toString('utf8');
      text += chunk;
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) if (line.trim()) lines.take(line);
    }
    if (event.InvokeComplete) {
      functionError = event.InvokeComplete.ErrorCode || undefined;
      errorDetails = event.InvokeComplete.ErrorDetails || undefined;
      logTail = event.InvokeComplete.LogResult ? Buffer.from(event.InvokeComplete.LogResult, 'base64').toString('utf8') : '';
    }
  }
  if (pending.trim()) lines.take(pending);
  let answer: unknown = lines.streamed ? lines.result : parsePayload(text);
  if (functionError && (answer === undefined || typeof answer === 'string')) answer = { errorType: functionError, errorMessage: errorDetails ?? answer ?? '' };
  return { functionError, payload: answer, logTail };
}

/** The protocol's newline-delimited stream: progress lines handed on as they come, and the result. */
class StreamLines {
  streamed = false;
  result: unknown;
  constructor(private readonly onProgress?: (line: string) => void) {}
  take(line: string): void {
    const item = tryJson(line) as { type?: unknown; line?: unknown } | string;
    if (!item || typeof item !== 'object') return;
    if (item.type === 'progress' && typeof item.line === 'string') {
      this.streamed = true;
      this.onProgress?.(item.line);
    } else if (item.type === 'result') {
      this.streamed = true;
      const rest: Record<string, unknown> = { ...(item as Record<string, unknown>) };
      delete rest.type;
      this.result = rest;
    }
  }
}

function parsePayload(text: string): unknown {
  if (!text) return undefined;
  return tryJson(text);
}

function describeInvokeError(error: unknown, functionName: string, opts: InvokeOptions, timeouts: SdkTimeouts, aborted: boolean): Error {
  const e = error as { name?: string; message?: string };
  const timeout = aborted ? 'no answer' : describeTimeout(error, timeouts);
  if (timeout?.startsWith('no connection')) {
    return new Error(`could not invoke \`${functionName}\`: ${timeout} to Lambda. Check that the runner can reach Lambda in \`aws-region\` ${opts.region}.`);
  }
  if (timeout) {
    return new InvocationTimedOut(
      `\`${functionName}\` did not answer within ${describeDuration(opts.timeoutMs)} (\`db-sync-timeout\`)${timeout.startsWith('nothing received') ? ': its answer stopped arriving' : ''}. ` +
        'The function may still be running: check its log before retrying, and raise `db-sync-timeout` above its configured timeout if it needs longer.',
    );
  }
  const hint =
    e.name === 'AccessDeniedException'
      ? ` Staging's credentials need \`lambda:InvokeFunction\` on this function.`
      : e.name === 'ResourceNotFoundException'
        ? ' Check `db-sync-function` and that `aws-region` is the function\'s region.'
        : e.name === 'TimeoutError' || /timed? ?out/i.test(e.message ?? '')
          ? ' The function may still be running: check its log before retrying.'
          : '';
  return new Error(`could not invoke \`${functionName}\`: ${e.name}: ${e.message}.${hint}`);
}

export interface TableSynced {
  table: string;
  rows: number;
}
export interface TableFailed {
  table: string;
  error: string;
}

/** What the original sync function reports, normalised. */
export interface FunctionSyncResult {
  /** `statusCode` in the returned body (when it has one). */
  statusCode?: number;
  message?: string;
  tablesSynced: TableSynced[];
  tablesFailed: TableFailed[];
  totalRows: number;
  validation?: { passed: boolean; issues: string[] };
  sequencesFixed: string[];
}

/**
 * Reads the body the original function returns: `{statusCode, body}` where body (a JSON string
 * or object) holds `results.tables_synced[{table, rows}]`, `tables_failed[{table, error}]`,
 * `total_rows`, `validation{passed, issues}` and `sequences_fixed`. The fields are also accepted
 * at the top level of the body or of the payload, so a function without the HTTP-style wrapper works.
 */
export function parseFunctionResult(payload: unknown): FunctionSyncResult | { error: string } {
  const outer = asObject(payload);
  if (!outer) return { error: `the function returned ${describe(payload)}, not a JSON object` };
  const statusCode = typeof outer.statusCode === 'number' ? outer.statusCode : typeof outer.statusCode === 'string' ? Number(outer.statusCode) : undefined;
  let body: Record<string, unknown> | undefined = outer;
  if ('body' in outer) {
    const inner = typeof outer.body === 'string' ? tryJson(outer.body) : outer.body;
    body = asObject(inner);
    if (!body) {
      if (statusCode !== undefined && statusCode !== 200) return { error: `the function answered statusCode ${statusCode}: ${String(outer.body)}` };
      return { error: `the function's body is ${describe(outer.body)}, not a JSON object` };
    }
  }
  const results = asObject(body.results) ?? {};
  const field = (name: string): unknown => results[name] ?? body![name];
  const tablesSynced = asArray(field('tables_synced')).map((t) => {
    const o = asObject(t);
    return { table: String(o?.table ?? t), rows: Number(o?.rows ?? 0) };
  });
  const tablesFailed = asArray(field('tables_failed')).map((t) => {
    const o = asObject(t);
    return { table: String(o?.table ?? t), error: String(o?.error ?? 'failed') };
  });
  const total = field('total_rows');
  const validationObject = asObject(field('validation'));
  const validation = validationObject
    ? {
        passed: validationObject.passed === true,
        issues: asArray(validationObject.issues).map((i) => (typeof i === 'string' ? i : JSON.stringify(i))),
      }
    : undefined;
  const sequences = field('sequences_fixed');
  const sequencesFixed = asArray(sequences).map((s) => {
    const o = asObject(s);
    return String(o?.sequence ?? o?.table ?? s);
  });
  const message = typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : undefined;
  return {
    statusCode,
    message,
    tablesSynced,
    tablesFailed,
    totalRows: typeof total === 'number' ? total : tablesSynced.reduce((sum, t) => sum + t.rows, 0),
    validation,
    sequencesFixed: typeof sequences === 'number' ? Array.from({ length: sequences }, (_, i) => `#${i + 1}`) : sequencesFixed,
  };
}

/** The last `lines` non-empty lines of a log tail. */
export function lastLogLines(log: string, lines = 15): string {
  return log.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-lines).join('\n');
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
function describe(value: unknown): string {
  if (value === undefined || value === '') return 'nothing';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${text.length > 200 ? `${text.slice(0, 200)}…` : text}\``;
}
