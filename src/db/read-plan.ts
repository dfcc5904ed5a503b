import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { DatabaseOptions } from '../config/database-options.js';
import { readCatalog, type Catalog } from './catalog.js';
import { planRefresh, type Names, type RefreshPlan } from './refresh-plan.js';
import { beginSourceSnapshot, beginTargetTransaction, restoreTargetSearchPath } from './session.js';
import { emailLikeColumns } from './personal-data.js';
import { sourceAccessProblems } from './source-access.js';

/**
 * Opens the source snapshot and the target transaction, and reads the refresh plan with every
 * problem that would stop it (schema differences, privileges, row-level security) before anything
 * is written. The refresh and the dry run both start here, so a dry run finds what a refresh would.
 */
export async function planFromServers(
  source: pg.Client,
  target: pg.Client,
  options: Pick<DatabaseOptions, 'schemas' | 'tables' | 'excludeTables' | 'lockTimeoutMs'> & Partial<Pick<DatabaseOptions, 'masking'>>,
  names: Names,
): Promise<{ plan: RefreshPlan; problems: string[]; targetCatalog: Catalog }> {
  const lockTimeout = `${Math.max(1, Math.round(options.lockTimeoutMs))}ms`;
  await beginSourceSnapshot(source, lockTimeout, options.masking?.salt ?? randomBytes(32).toString('hex'));
  await beginTargetTransaction(target, lockTimeout);
  const [sourceCatalog, targetCatalog] = await Promise.all([readCatalog(source, options.schemas), readCatalog(target, options.schemas)]);
  await restoreTargetSearchPath(target);
  const plan = planRefresh(sourceCatalog, targetCatalog, options, names);
  const problems = [...plan.problems, ...(await sourceAccessProblems(source, plan, names))];
  if (problems.length === 0) plan.unmaskedPersonal.push(...(await emailLikeColumns(source, plan)));
  if (plan.unmaskedPersonal.length > 0) {
    const list = plan.unmaskedPersonal.map((c) => `\`${c}\``).join(', ');
    const text = `column(s) ${list} look personal and no \`masking\` rule covers them: their values would reach ${names.target} as ${names.source} has them. Add rules (e.g. \`${plan.unmaskedPersonal[0]}: email\`), or \`keep\` to copy a column as it is.`;
    if (options.masking?.onUnmaskedPii === 'fail') problems.push(`${text} (\`on-unmasked-pii: fail\`)`);
    else plan.warnings.push(text);
  }
  return { plan, problems, targetCatalog };
}

/** The refusal both the inspection and the refresh give when the plan cannot run. */
export function planProblemsMessage(names: Names, problems: string[]): string {
  return `${names.target} cannot take ${names.source}'s data (checked before anything was changed):\n- ${problems.join('\n- ')}`;
}
