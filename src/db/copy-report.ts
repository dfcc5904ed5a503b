import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import { formatBytes, formatCount } from '../report/format.js';
import type { CopyEngineResult } from './copy-engine.js';

/**
 * What a committed copy reports, as plain data: the action's own copy and the function (which
 * sends it back in its answer) fill the Database section from the same figures.
 */
export type RefreshFigures = Omit<CopyEngineResult, 'plan'> & { warnings: string[] };

export function refreshFigures({ plan, ...figures }: CopyEngineResult): RefreshFigures {
  return { ...figures, warnings: plan.warnings };
}

/** The figures into the report and the step's line; `by` names who copied (the function), when not the runner. */
export function recordRefresh(ctx: RunContext, result: RefreshFigures, seconds: number, by = ''): string {
  ctx.report.database = {
    countTable: `${ctx.config.countTable.schema}.${ctx.config.countTable.name}`,
    ...ctx.report.database,
    tablesCopied: result.tablesCopied,
    rowsCopied: result.rowsCopied,
    bytesCopied: result.bytesCopied,
    seconds,
    foreignKeys: result.foreignKeys,
    tables: result.tables,
    warnings: result.warnings,
    // The snapshot's count is the one the copy must match (production may have moved since inspection).
    countTableRefreshed: result.countTableRefreshed,
    ...(result.countTableRefreshed ? { sourceCount: result.countTableSource, targetCountAfter: result.countTableAfter } : {}),
  };
  for (const warning of result.warnings) core.warning(warning); // an annotation; the Database section of the summary lists it
  return (
    `${formatCount(result.tablesCopied)} tables, ${formatCount(result.rowsCopied)} rows (${formatBytes(result.bytesCopied)}) copied${by} in ${seconds.toFixed(1)} s; ` +
    `${result.sequencesSet} sequence(s) set, ${result.materializedViews} materialized view(s) refreshed`
  );
}
