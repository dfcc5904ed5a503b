import * as core from '@actions/core';
import { refreshDatabaseThroughFunction } from '../aws/steps.js';
import type { RunContext } from '../context.js';
import { StepError, errorMessage } from '../plan/runner.js';
import { formatBytes, formatCount } from '../report/format.js';
import { connectDatabase, type Connected } from './connect.js';
import { copyDatabase, describePgError, RefreshError, ROLLED_BACK } from './copy-engine.js';
import { refreshByDump } from './dump.js';
import { prepareIdentityRemap } from '../identity/remap.js';

/** The 'refresh-database' step: replaces staging's data with production's by the chosen method. */
export async function refreshDatabase(ctx: RunContext): Promise<string> {
  const method = ctx.config.database.method;
  ctx.report.database = { countTable: countTableKey(ctx), ...ctx.report.database, method };
  if (method === 'dump') return refreshByDump(ctx);
  if (method === 'lambda') return refreshDatabaseThroughFunction(ctx);
  return refreshByCopy(ctx);
}

const countTableKey = (ctx: RunContext) => `${ctx.config.countTable.schema}.${ctx.config.countTable.name}`;

async function refreshByCopy(ctx: RunContext): Promise<string> {
  const { source, target, database: options } = ctx.config;
  const started = performance.now();
  let src: Connected | undefined;
  let tgt: Connected | undefined;
  try {
    src = await connectDatabase(source.database!, source.name, { readOnly: true });
    tgt = await connectDatabase(target.database!, target.name, { readOnly: false });
    const names = { source: source.name, target: target.name };
    // Staging's pool is listed before the transaction opens; the rows are re-pointed inside it.
    const identity = ctx.config.identity
      ? await prepareIdentityRemap({ options: ctx.config.identity, target: tgt.client, names, credentials: ctx.aws.credentials('target'), who: ctx.aws.describe('target'), log: core.info })
      : undefined;
    const result = await copyDatabase({
      source: src.client,
      target: tgt.client,
      options,
      names,
      countTable: ctx.config.countTable,
      ...(identity ? { inTransaction: identity.apply } : {}),
    });
    const seconds = Math.round(performance.now() - started) / 1000;
    const db = ctx.report.database!;
    ctx.report.database = {
      ...db,
      tablesCopied: result.tablesCopied,
      rowsCopied: result.rowsCopied,
      bytesCopied: result.bytesCopied,
      seconds,
      foreignKeys: result.foreignKeys,
      tables: result.tables,
      warnings: result.plan.warnings,
      // The snapshot's count is the one the copy must match (production may have moved since inspection).
      countTableRefreshed: result.countTableRefreshed,
      ...(result.countTableRefreshed ? { sourceCount: result.countTableSource, targetCountAfter: result.countTableAfter } : {}),
      ...(identity ? { identity: identity.report } : {}),
    };
    for (const warning of result.plan.warnings) core.warning(warning); // an annotation; the Database section of the summary lists it
    return (
      `${formatCount(result.tablesCopied)} tables, ${formatCount(result.rowsCopied)} rows (${formatBytes(result.bytesCopied)}) copied in ${seconds.toFixed(1)} s; ` +
      `${result.sequencesSet} sequence(s) set, ${result.materializedViews} materialized view(s) refreshed` +
      (identity ? `; ${formatCount(identity.report.rowsUpdated)} user(s) re-pointed at ${target.name}'s Cognito pool` : '')
    );
  } catch (error) {
    const message = error instanceof RefreshError ? error.message : describePgError(error);
    // Closing the connection without COMMIT is what rolls back; do it before reporting.
    await tgt?.client.end().catch(() => {});
    tgt = undefined;
    throw new StepError(message || errorMessage(error), error instanceof RefreshError ? error.targetState : ROLLED_BACK);
  } finally {
    await tgt?.client.end().catch(() => {});
    await src?.client.end().catch(() => {});
  }
}
