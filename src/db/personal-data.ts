import type pg from 'pg';
import { ownRows, quoteIdent } from './connect.js';
import type { RefreshPlan } from './refresh-plan.js';

/** Rows sampled per table: enough to recognise a column of addresses, little load on production. */
const SAMPLE_ROWS = 200;
const EMAIL = '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$';

/**
 * Text columns that are copied unmasked and mostly hold e-mail addresses, found by sampling
 * production read-only (inside the snapshot). Only counts come back: no value is read out.
 */
export async function emailLikeColumns(source: pg.Client, plan: RefreshPlan): Promise<string[]> {
  const found: string[] = [];
  for (const table of plan.loadOrder) {
    const candidates = table.columns.filter((name) => {
      const column = table.source!.columns.find((c) => c.name === name);
      return column?.category === 'S' && !table.masks.some((m) => m.column === name) && !plan.unmaskedPersonal.includes(`${table.key}.${name}`);
    });
    if (candidates.length === 0) continue;
    const measures = candidates.map((c, i) => `count(*) FILTER (WHERE ${quoteIdent(c)}::text ~ '${EMAIL}') AS m${i}, count(${quoteIdent(c)}) AS n${i}`);
    const { rows } = await source.query<Record<string, string>>(
      `SELECT ${measures.join(', ')} FROM (SELECT ${candidates.map(quoteIdent).join(', ')} FROM ${ownRows(table.source!)} LIMIT ${SAMPLE_ROWS}) s`,
    );
    candidates.forEach((name, i) => {
      const [matching, present] = [Number(rows[0]![`m${i}`]), Number(rows[0]![`n${i}`])];
      if (matching > 0 && matching * 2 >= present) found.push(`${table.key}.${name}`);
    });
  }
  return found;
}
