import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import { describeDuration } from '../config/network-options.js';
import { hideRowValues } from '../db/pg-error-text.js';
import { StepError } from '../plan/runner.js';
import { formatCount } from '../report/format.js';
import type { DatabaseReport } from '../report/model.js';
import { recordRefresh } from '../db/copy-report.js';
import { recordDescription } from '../db/dry-run.js';
import { eventOptions, isProtocolAnswer, PROTOCOL, PROTOCOL_VERSION, type FunctionAction, type FunctionEvent } from '../function/protocol.js';
import { InvocationTimedOut, invokeFunction, lastLogLines, parseFunctionResult, type FunctionSyncResult } from './function-sync.js';

/** The `aws-access` step: assume roles, check identities and the account guard, read secrets. */
export async function resolveAwsAccess(ctx: RunContext): Promise<string> {
  return ctx.aws.resolve();
}

/**
 * The protocol's event, with the fields of `db-sync-payload` merged in: a function of the original
 * shape reads its own fields and ignores the rest; this action's function reads the protocol's.
 */
function functionEvent(ctx: RunContext, action: FunctionAction): Record<string, unknown> {
  const payload = ctx.config.aws.dbSyncPayload;
  const extra = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  const target = ctx.config.target.name;
  const event: FunctionEvent = {
    protocol: PROTOCOL,
    version: PROTOCOL_VERSION,
    action,
    target,
    ...(action === 'refresh' ? { confirm: target } : {}),
    options: eventOptions(ctx.config.database, ctx.config.countTable),
  };
  return { ...extra, ...event };
}

/** The event as the log shows it: the masking salt is a secret. */
function eventText(event: Record<string, unknown>): string {
  return JSON.stringify(event, (key, value: unknown) => (key === 'salt' ? '***' : value));
}

/** Invokes the function, its progress lines into the log as they arrive (with the seconds since the invoke). */
async function invoke(ctx: RunContext, event: Record<string, unknown>, unknownState: string) {
  const fn = ctx.config.aws.dbSyncFunction!;
  const started = performance.now();
  let progressed = false;
  const invocation = await invokeFunction(fn, event, {
    region: ctx.config.regions.target,
    credentials: ctx.aws.credentials('target'),
    timeoutMs: ctx.config.aws.dbSyncTimeoutMs,
    connectTimeoutMs: ctx.config.network.connectTimeoutMs,
    onProgress: (line) => {
      progressed = true;
      core.info(`  [${fn} +${((performance.now() - started) / 1000).toFixed(1)} s] ${hideRowValues(line)}`);
    },
  }).catch((error: unknown) => {
    // The function may be running (or have run) without saying so: staging's state is unknown.
    throw error instanceof InvocationTimedOut ? new StepError(error.message, unknownState) : error;
  });
  const seconds = Math.round(performance.now() - started) / 1000;
  const log = lastLogLines(invocation.logTail);
  const withLog = (text: string) => hideRowValues(log ? `${text}\nLast lines of the function's log:\n${log}` : text);
  if (invocation.functionError) {
    const p = invocation.payload as { errorType?: string; errorMessage?: string } | undefined;
    const what = p && typeof p === 'object' ? `${p.errorType ?? invocation.functionError}: ${p.errorMessage ?? JSON.stringify(p)}` : String(invocation.payload ?? invocation.functionError);
    // This action's function refreshes in one transaction: stopped before its COMMIT, nothing of it is kept.
    const state = progressed ? `unchanged unless \`${fn}\` was stopped during its final COMMIT (its refresh is one transaction; the lines above show how far it got)` : unknownState;
    throw new StepError(withLog(`\`${fn}\` failed (${invocation.functionError}): ${what}`), state);
  }
  return { payload: invocation.payload, seconds, withLog };
}

/**
 * Dry run of `db-method: lambda`: the function inspects both databases read-only and answers with
 * the per-table plan, shown as `copy` shows its own. A function of the original shape (marked by
 * `db-sync-payload`) would not know `inspect`: it is not invoked.
 */
export async function describeFunctionRefresh(ctx: RunContext): Promise<string> {
  const fn = ctx.config.aws.dbSyncFunction!;
  ctx.report.database = { ...baseReport(ctx), method: 'lambda' };
  if (ctx.config.aws.dbSyncPayloadGiven) {
    return `would invoke \`${fn}\` synchronously with ${ctx.config.target.name}'s credentials (${ctx.aws.describe('target')}) and payload ${JSON.stringify(ctx.config.aws.dbSyncPayload)}; not invoked (dry run: \`db-sync-payload\` marks a function of the original shape, which has no read-only inspection)`;
  }
  const event = functionEvent(ctx, 'inspect');
  core.info(`Invoking \`${fn}\` to inspect (read-only) with ${ctx.config.target.name}'s credentials (${ctx.aws.describe('target')}): ${eventText(event)}.`);
  const { payload, withLog } = await invoke(ctx, event, 'unchanged (a dry run only inspects)');
  if (!isProtocolAnswer(payload)) {
    throw new StepError(
      withLog(`\`${fn}\` did not answer in the \`${PROTOCOL}\` protocol (got ${'error' in parseFunctionResult(payload) ? 'neither shape' : "the original function's shape"}): it is not this action's function, and may not know a read-only inspection. Deploy this action's function, or give \`db-sync-payload\` for a function of the original shape (dry runs then invoke nothing).`),
      `unknown: a function that does not know \`inspect\` may have refreshed ${ctx.config.target.name}; check its log`,
    );
  }
  if (!payload.ok || !payload.description) throw new StepError(withLog(`\`${fn}\` could not inspect: ${payload.message ?? 'no description in its answer'}`), payload.targetState ?? 'unchanged (a dry run only inspects)');
  const figures = payload.countTable;
  if (figures) ctx.report.database = { ...ctx.report.database!, countTable: figures.table, sourceCount: figures.sourceCount, targetCountBefore: figures.targetCountBefore };
  return `through \`${fn}\`: ${recordDescription(ctx, payload.description)}`;
}

/**
 * `db-method: lambda`: the copy runs in a function inside staging's network (the databases are
 * private). This action's function answers in the protocol, with the same figures as `copy`;
 * a function of the original shape fills the report from its own figures; a function error, a
 * non-200 status, a failed table or a failed validation fails the run, naming them. Everything
 * the function says passes through `hideRowValues`: its errors and log may quote production's rows.
 */
export async function refreshDatabaseThroughFunction(ctx: RunContext): Promise<string> {
  const fn = ctx.config.aws.dbSyncFunction!;
  const target = ctx.config.target.name;
  const { dbSyncTimeoutMs } = ctx.config.aws;
  const unknownState = `in an unknown state: \`${fn}\` may have refreshed some tables before it failed (see its log)`;
  const event = functionEvent(ctx, 'refresh');
  core.info(
    `Invoking \`${fn}\` with ${target}'s credentials (${ctx.aws.describe('target')}), event ${eventText(event)}; waiting up to ${describeDuration(dbSyncTimeoutMs)} for it (\`db-sync-timeout\`).`,
  );
  const { payload, seconds, withLog } = await invoke(ctx, event, unknownState);

  if (isProtocolAnswer(payload)) {
    if (!payload.ok || !payload.refresh) {
      throw new StepError(withLog(`\`${fn}\`: ${hideRowValues(payload.message ?? 'no figures in its answer')}`), payload.targetState ?? unknownState);
    }
    return recordRefresh(ctx, payload.refresh, seconds, ` by \`${fn}\``);
  }
  const result = parseFunctionResult(payload);
  if ('error' in result) {
    throw new StepError(withLog(`\`${fn}\`: ${result.error}; expected an answer of the \`${PROTOCOL}\` protocol (this action's function) or the original function's \`{"statusCode": 200, "body": …}\`.`), unknownState);
  }
  if (result.statusCode !== undefined && result.statusCode !== 200) {
    throw new StepError(withLog(`\`${fn}\` answered statusCode ${result.statusCode}${result.message ? `: ${result.message}` : ''}.`), unknownState);
  }

  recordResult(ctx, result, seconds);
  if (ctx.config.database.masking.rules.length > 0) {
    throw new StepError(
      withLog(`\`masking\` was given, but \`${fn}\` answered in the original function's shape: it does not know masking rules, so ${ctx.config.source.name}'s values were copied unmasked. Deploy this action's function (see README, Private databases), or remove \`masking\`.`),
      `refreshed WITHOUT masking: ${ctx.config.source.name}'s personal data may be in ${target}; refresh again with this action's function, or clear the tables`,
    );
  }
  const problems = [
    ...result.tablesFailed.map((t) => `table \`${t.table}\` failed: ${t.error}`),
    ...(result.validation && !result.validation.passed
      ? [`validation failed${result.validation.issues.length ? `: ${result.validation.issues.join('; ')}` : ''}`]
      : []),
  ];
  const done = `${formatCount(result.tablesSynced.length)} tables, ${formatCount(result.totalRows)} rows copied by \`${fn}\``;
  const countTableNote = ctx.report.database?.countTableRefreshed === false ? `; ${countTableNotRefreshed(ctx)}` : '';
  if (problems.length > 0) {
    throw new StepError(
      withLog(`${done}, but ${problems.length === 1 ? 'one problem' : `${problems.length} problems`}:\n- ${problems.join('\n- ')}`),
      `partly refreshed: ${formatCount(result.tablesSynced.length)} tables were copied, ${formatCount(result.tablesFailed.length)} failed`,
    );
  }
  const sequences = result.sequencesFixed.length > 0 ? `, ${result.sequencesFixed.length} sequences reset` : '';
  const validation = result.validation ? ', validation passed' : '';
  return `${done}${sequences}${validation}${countTableNote}`;
}

function countTableNotRefreshed(ctx: RunContext): string {
  const { countTable } = ctx.config;
  return `\`${countTable.schema}.${countTable.name}\` (\`count-table\`) was not among the tables \`${ctx.config.aws.dbSyncFunction}\` refreshed: ${ctx.config.target.name}'s copy of it is as it was, and no production figure is shown for it`;
}

function baseReport(ctx: RunContext): DatabaseReport {
  const { countTable } = ctx.config;
  return { countTable: `${countTable.schema}.${countTable.name}`, ...ctx.report.database };
}

/**
 * The function's figures into the report (also when a table failed: partial results are shown).
 * The headline figures are those of the data the function copied: its row count of `count-table`
 * when it refreshed that table; when it did not, none (production's count would claim a refresh
 * that did not happen).
 */
function recordResult(ctx: RunContext, result: FunctionSyncResult, seconds: number): void {
  const db = baseReport(ctx);
  const { countTable } = ctx.config;
  const qualify = (table: string) => (table.includes('.') ? table : `public.${table}`);
  db.method = 'lambda';
  db.seconds = seconds;
  db.tablesCopied = result.tablesSynced.length;
  db.rowsCopied = result.totalRows;
  db.tables = [
    ...result.tablesSynced.map((t) => ({ table: qualify(t.table), action: 'copy' as const, rowsCopied: t.rows })),
    ...result.tablesFailed.map((t) => ({ table: qualify(t.table), action: 'skip' as const, reason: hideRowValues(`failed in the function: ${t.error}`) })),
  ];
  const warnings = (result.validation?.issues ?? []).map((issue) => hideRowValues(`validation: ${issue}`));
  const headline = result.tablesSynced.find((t) => qualify(t.table) === `${countTable.schema}.${countTable.name}`);
  db.countTableRefreshed = Boolean(headline);
  if (headline) {
    // What was copied, not what the runner counted in production earlier (it may have changed since).
    db.sourceCount = headline.rows;
    // The runner may not reach the private databases: then the function's count is the best figure there is.
    if (db.targetCountAfter === undefined && result.validation?.passed && result.tablesFailed.length === 0) db.targetCountAfter = headline.rows;
  } else {
    db.sourceCount = undefined;
    db.targetCountAfter = undefined;
    warnings.push(countTableNotRefreshed(ctx));
  }
  if (warnings.length > 0) db.warnings = [...(db.warnings ?? []), ...warnings];
  ctx.report.database = db;
}
