import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import { describeDuration } from '../config/network-options.js';
import { hideRowValues } from '../db/pg-error-text.js';
import { StepError } from '../plan/runner.js';
import { formatCount } from '../report/format.js';
import type { DatabaseReport } from '../report/model.js';
import { InvocationTimedOut, invokeFunction, lastLogLines, parseFunctionResult, type FunctionSyncResult } from './function-sync.js';

/** The `aws-access` step: assume roles, check identities and the account guard, read secrets. */
export async function resolveAwsAccess(ctx: RunContext): Promise<string> {
  return ctx.aws.resolve();
}

const payloadText = (ctx: RunContext) => JSON.stringify(ctx.config.aws.dbSyncPayload);

/** Dry run of `db-method: lambda`: say what would be invoked, invoke nothing. */
export async function describeFunctionRefresh(ctx: RunContext): Promise<string> {
  const fn = ctx.config.aws.dbSyncFunction!;
  ctx.report.database = { ...baseReport(ctx), method: 'lambda' };
  return `would invoke \`${fn}\` synchronously with ${ctx.config.target.name}'s credentials (${ctx.aws.describe('target')}) and payload ${payloadText(ctx)}; not invoked (dry run)`;
}

/**
 * `db-method: lambda`: the copy runs in a function inside staging's network (the databases are
 * private). Its result fills the database report; a function error, a non-200 status, a failed
 * table or a failed validation fails the run, naming them. Everything the function says passes
 * through `hideRowValues`: its errors and log may quote production's rows (PostgreSQL's DETAIL).
 */
export async function refreshDatabaseThroughFunction(ctx: RunContext): Promise<string> {
  const fn = ctx.config.aws.dbSyncFunction!;
  const target = ctx.config.target.name;
  const { dbSyncTimeoutMs } = ctx.config.aws;
  const unknownState = `in an unknown state: \`${fn}\` may have refreshed some tables before it failed (see its log)`;
  core.info(
    `Invoking \`${fn}\` with ${target}'s credentials (${ctx.aws.describe('target')}), payload ${payloadText(ctx)}; waiting up to ${describeDuration(dbSyncTimeoutMs)} for it (\`db-sync-timeout\`).`,
  );
  const started = performance.now();
  const invocation = await invokeFunction(fn, ctx.config.aws.dbSyncPayload, {
    region: ctx.config.regions.target,
    credentials: ctx.aws.credentials('target'),
    timeoutMs: dbSyncTimeoutMs,
    connectTimeoutMs: ctx.config.network.connectTimeoutMs,
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
    throw new StepError(withLog(`\`${fn}\` failed (${invocation.functionError}): ${what}`), unknownState);
  }
  const result = parseFunctionResult(invocation.payload);
  if ('error' in result) throw new StepError(withLog(`\`${fn}\`: ${result.error}.`), unknownState);
  if (result.statusCode !== undefined && result.statusCode !== 200) {
    throw new StepError(withLog(`\`${fn}\` answered statusCode ${result.statusCode}${result.message ? `: ${result.message}` : ''}.`), unknownState);
  }

  recordResult(ctx, result, seconds);
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
