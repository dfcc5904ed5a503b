import type pg from 'pg';
import { attempt, ownRows, qualifiedName, quoteIdent } from './connect.js';
import type { Names, RefreshPlan } from './refresh-plan.js';

/**
 * Reads nothing, but asks production's server whether the refresh could read everything it needs:
 * each copied table whole (privileges, and row-level security, which `row_security = off` turns
 * into an error instead of a silently partial copy) and each sequence's position. Run inside the
 * source snapshot, before anything is written; returns every problem, each saying what to grant.
 */
export async function sourceAccessProblems(source: pg.Client, plan: RefreshPlan, names: Names): Promise<string[]> {
  const problems: string[] = [];
  const role = (await source.query<{ role: string }>('SELECT current_user AS role')).rows[0]!.role;
  const probe = async (sql: string): Promise<{ code?: string; message?: string } | undefined> => {
    const outcome = await attempt(source, () => source.query(sql));
    return outcome.ok ? undefined : (outcome.error as { code?: string; message?: string });
  };
  for (const table of plan.loadOrder) {
    const from = table.source!;
    const columns = table.columns.length > 0 ? table.columns.map(quoteIdent).join(', ') : '1';
    // LIMIT 0 still goes through the rewriter (row-level security) and the executor's privilege checks.
    const error = await probe(`SELECT ${columns} FROM ${ownRows(from)} LIMIT 0`);
    if (!error) continue;
    if (error.code === '42501' && /row-level security/i.test(error.message ?? '')) {
      problems.push(
        `${names.source}'s role \`${role}\` is subject to row-level security on \`${table.key}\`, so it would read only some of its rows: ` +
          `give the role BYPASSRLS (\`ALTER ROLE ${role} BYPASSRLS\`), or use the table owner's role (without FORCE ROW LEVEL SECURITY), or add \`${table.key}\` to \`exclude-tables\`.`,
      );
    } else if (error.code === '42501') {
      problems.push(`${names.source}'s role \`${role}\` may not read \`${table.key}\`: \`GRANT SELECT ON ${qualifiedName(from)} TO ${role}\` (or on all tables of the schema), or add \`${table.key}\` to \`exclude-tables\`.`);
    } else {
      problems.push(`${names.source}'s \`${table.key}\` cannot be read (SQLSTATE ${error.code ?? 'unknown'}).`);
    }
  }
  for (const table of plan.loadOrder) {
    for (const sequence of table.source!.sequences.values()) {
      const error = await probe(`SELECT last_value, is_called FROM ${sequence} LIMIT 0`);
      if (error?.code === '42501') {
        problems.push(
          `${names.source}'s role \`${role}\` may not read sequence \`${sequence}\` (of \`${table.key}\`), so ${names.target}'s ids could not continue after ${names.source}'s: ` +
            `\`GRANT SELECT ON SEQUENCE ${sequence} TO ${role}\` (or \`GRANT SELECT ON ALL SEQUENCES IN SCHEMA …\`).`,
        );
      } else if (error) {
        problems.push(`${names.source}'s sequence \`${sequence}\` cannot be read (SQLSTATE ${error.code ?? 'unknown'}).`);
      }
    }
  }
  return problems;
}
