import * as core from '@actions/core';
import type pg from 'pg';
import type { RunContext } from '../context.js';
import type { DatabaseOptions } from '../config/database-options.js';
import type { TableReport } from '../report/model.js';
import { attempt, ownRows } from './connect.js';
import { checkDumpTools } from './dump.js';
import { planFromServers } from './read-plan.js';
import type { Names } from './refresh-plan.js';

/** What a refresh would do, table by table; computed by the action (copy) and by the function (lambda) alike. */
export interface RefreshDescription {
  tables: TableReport[];
  warnings: string[];
  /** Problems that would stop a real run before it changes anything. */
  problems: string[];
  seconds: number;
}

/**
 * What a real refresh would do, table by table, from read-only connections: rows on each side,
 * column differences, and the action. Problems that would stop the real run are reported as
 * errors in the notes (the dry run itself still succeeds: it changed nothing).
 */
export async function describeRefresh(ctx: RunContext, source: pg.Client, target: pg.Client): Promise<string> {
  const { database: options, source: src, target: tgt } = ctx.config;
  const names = { source: src.name, target: tgt.name };
  if (options.method === 'dump') {
    const { rows } = await source.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    const tools = await checkDumpTools(Number(rows[0]!.v), src.name);
    ctx.report.database = { countTable: '', ...ctx.report.database, method: 'dump' };
    return `would replace ${tgt.name}'s schema and data with ${src.name}'s (pg_dump | pg_restore --single-transaction; ${tools})`;
  }
  return recordDescription(ctx, await describeTables(source, target, options, names));
}

/** The per-table description: the same planning as the refresh, plus row counts on each side. */
export async function describeTables(
  source: pg.Client,
  target: pg.Client,
  options: Pick<DatabaseOptions, 'schemas' | 'tables' | 'excludeTables' | 'lockTimeoutMs'> & Partial<Pick<DatabaseOptions, 'masking'>>,
  names: Names,
): Promise<RefreshDescription> {
  const started = performance.now();
  const { plan, problems } = await planFromServers(source, target, options, names);
  // A table the role may not read whole (privileges, row-level security) is a problem listed above, not a count.
  const count = async (client: pg.Client, t: { schema: string; name: string; kind: string }) => {
    const outcome = await attempt(client, () => client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${ownRows(t)}`));
    return outcome.ok ? Number(outcome.value.rows[0]!.n) : undefined;
  };
  const tables: TableReport[] = [];
  for (const t of plan.tables) {
    tables.push({
      table: t.key,
      action: t.action,
      ...(t.action === 'copy' ? {} : { reason: t.reason }),
      ...(t.source ? { sourceRows: await count(source, t.source) } : {}),
      ...(t.target ? { targetRowsBefore: await count(target, t.target) } : {}),
      ...(t.action === 'copy' ? { format: t.format } : {}),
      ...(t.columnDifferences.length ? { columnDifferences: t.columnDifferences } : {}),
      ...(t.masks.length ? { masked: t.masks.map((m) => `\`${m.column}\`: ${m.rule}`) } : {}),
    });
  }
  return { tables, warnings: plan.warnings, problems, seconds: Math.round(performance.now() - started) / 1000 };
}

/** The description into the report, the notes and the step's line (for copy, and for lambda from the function's answer). */
export function recordDescription(ctx: RunContext, description: RefreshDescription): string {
  const { source: src } = ctx.config;
  const { tables, warnings, problems } = description;
  const copied = tables.filter((t) => t.action === 'copy');
  const rows = copied.reduce((sum, t) => sum + (t.sourceRows ?? 0), 0);
  ctx.report.database = {
    countTable: '',
    ...ctx.report.database,
    method: ctx.config.database.method,
    tables,
    warnings,
    seconds: description.seconds,
  };
  for (const warning of warnings) core.warning(warning); // an annotation; the Database section of the summary lists it
  for (const problem of problems) ctx.note('error', `A real run would stop before changing anything: ${problem}`);
  const blocked = problems.length > 0 ? `; ${problems.length} problem(s) would stop a real run` : '';
  return `would replace ${copied.length} tables (${rows.toLocaleString('en-US')} rows from ${src.name}); ${tables.length - copied.length} left as they are${blocked}`;
}
