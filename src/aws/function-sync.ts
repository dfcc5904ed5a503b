import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
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

/**
 * Invokes `functionName` synchronously. Exactly one attempt: a retry after a timeout would run a
 * second refresh over the first. TCP keep-alive keeps the long-silent connection from being
 * dropped by NAT gateways (which close idle flows after 350 s). The function is silent until it
 * answers, so `timeoutMs` bounds both the wait for the answer and any silence after it.
 */
export async function invokeFunction(
  functionName: string,
  payload: unknown,
  opts: { region: string; credentials?: AwsCredentialIdentityProvider; timeoutMs: number; connectTimeoutMs: number },
): Promise<Invocation> {
  const timeouts: SdkTimeouts = { connectTimeoutMs: opts.connectTimeoutMs, answerTimeoutMs: opts.timeoutMs, idleTimeoutMs: opts.timeoutMs };
  const client = new LambdaClient({
    region: opts.region,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    maxAttempts: 1,
    requestHandler: boundedRequestHandler(timeouts, { keepAliveMsecs: 30_000 }),
  });
  try {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        LogType: 'Tail',
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return {
      functionError: out.FunctionError || undefined,
      payload: body,
      logTail: out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '',
    };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    const timeout = describeTimeout(error, timeouts);
    if (timeout?.startsWith('no connection')) {
      throw new Error(`could not invoke \`${functionName}\`: ${timeout} to Lambda. Check that the runner can reach Lambda in \`aws-region\` ${opts.region}.`);
    }
    if (timeout) {
      throw new InvocationTimedOut(
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
    throw new Error(`could not invoke \`${functionName}\`: ${e.name}: ${e.message}.${hint}`);
  } finally {
    client.destroy();
  }
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
