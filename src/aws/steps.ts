import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import { StepError } from '../plan/runner.js';
import { formatCount } from '../report/format.js';
import type { DatabaseReport } from '../report/model.js';
import { invokeFunction, lastLogLines, parseFunctionResult, type FunctionSyncResult } from './function-sync.js';

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
 * table or a failed validation fails the run, naming them.
 */
export async function refreshDatabaseThroughFunction(ctx: RunContext): Promise<string> {
  const fn = ctx.config.aws.dbSyncFunction!;
  const target = ctx.config.target.name;
  core.info(`Invoking \`${fn}\` with ${target}'s credentials (${ctx.aws.describe('target')}), payload ${payloadText(ctx)}; waiting up to 16 minutes for it.`);
  const started = performance.now();
  const invocation = await invokeFunction(fn, ctx.config.aws.dbSyncPayload, {
    region: ctx.config.awsRegion,
    credentials: ctx.aws.credentials('target'),
  });
  const seconds = Math.round(performance.now() - started) / 1000;
  const log = lastLogLines(invocation.logTail);
  const withLog = (text: string) => (log ? `${text}\nLast lines of the function's log:\n${log}` : text);
  const unknownState = `in an unknown state: \`${fn}\` may have refreshed some tables before it failed (see its log)`;

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
  if (problems.length > 0) {
    throw new StepError(
      withLog(`${done}, but ${problems.length === 1 ? 'one problem' : `${problems.length} problems`}:\n- ${problems.join('\n- ')}`),
      `partly refreshed: ${formatCount(result.tablesSynced.length)} tables were copied, ${formatCount(result.tablesFailed.length)} failed`,
    );
  }
  const sequences = result.sequencesFixed.length > 0 ? `, ${result.sequencesFixed.length} sequences reset` : '';
  const validation = result.validation ? ', validation passed' : '';
  return `${done}${sequences}${validation}`;
}

function baseReport(ctx: RunContext): DatabaseReport {
  const { countTable } = ctx.config;
  return { countTable: `${countTable.schema}.${countTable.name}`, ...ctx.report.database };
}

/** The function's figures into the report (also when a table failed: partial results are shown). */
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
    ...result.tablesFailed.map((t) => ({ table: qualify(t.table), action: 'skip' as const, reason: `failed in the function: ${t.error}` })),
  ];
  const warnings = (result.validation?.issues ?? []).map((issue) => `validation: ${issue}`);
  if (warnings.length > 0) db.warnings = [...(db.warnings ?? []), ...warnings];
  // The runner may not reach the private databases: the function's count of the headline table
  // is the best figure there is (it copied that many rows from the source).
  const headline = result.tablesSynced.find((t) => qualify(t.table) === `${countTable.schema}.${countTable.name}`);
  if (headline && db.sourceCount === undefined) db.sourceCount = headline.rows;
  if (headline && db.targetCountAfter === undefined && result.validation?.passed && result.tablesFailed.length === 0) {
    db.targetCountAfter = headline.rows;
  }
  ctx.report.database = db;
}
