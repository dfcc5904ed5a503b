import * as core from '@actions/core';
import { refreshDatabaseThroughFunction } from '../aws/steps.js';
import type { RunContext } from '../context.js';
import { StepError, errorMessage } from '../plan/runner.js';
import { formatCount } from '../report/format.js';
import { connectDatabase, type Connected } from './connect.js';
import { copyDatabase, describePgError, RefreshError, ROLLED_BACK } from './copy-engine.js';
import { refreshByDump } from './dump.js';
import { prepareIdentityRemap } from '../identity/remap.js';
import { recordRefresh, refreshFigures } from './copy-report.js';

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
    const line = recordRefresh(ctx, refreshFigures(result), Math.round(performance.now() - started) / 1000);
    if (!identity) return line;
    ctx.report.database!.identity = identity.report;
    return `${line}; ${formatCount(identity.report.rowsUpdated)} user(s) re-pointed at ${target.name}'s Cognito pool`;
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
