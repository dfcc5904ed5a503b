import { matchesPattern, MIGRATION_TABLES, namesTablesOutright, type DatabaseOptions } from '../config/database-options.js';
import type { Catalog, CatalogColumn, CatalogTable } from './catalog.js';
import { looksPersonal, ruleTypeProblem, type MaskRule } from '../masking/rules.js';

/** What happens to one table. Pure data, derived from the two catalogs and the options. */
export interface TablePlan {
  key: string;
  action: 'copy' | 'keep' | 'skip';
  reason?: string;
  source?: CatalogTable;
  target?: CatalogTable;
  /** Columns copied, by name, in the target's order. */
  columns: string[];
  format: 'binary' | 'text';
  /** Column differences in words, e.g. "`legacy_code` only in production: not copied". */
  columnDifferences: string[];
  /** Copied columns whose values production masks before they leave it, with their rule. */
  masks: MaskRule[];
}

export interface RefreshPlan {
  tables: TablePlan[];
  /** The tables to copy, parents before children (deferrable keys and self-references ignored). */
  loadOrder: TablePlan[];
  /** Problems that stop the refresh before anything is truncated. */
  problems: string[];
  /** When loading in dependency order is impossible: the tables in a cycle of non-deferrable keys. */
  cycle?: string[];
  warnings: string[];
  /** Copied columns that look personal by their name and no masking rule covers (`schema.table.column`). */
  unmaskedPersonal: string[];
}

export interface Names {
  source: string;
  target: string;
}

const MIGRATION_TABLE_NAMES = new Set<string>(MIGRATION_TABLES);

export function planRefresh(
  source: Catalog,
  target: Catalog,
  options: Pick<DatabaseOptions, 'tables' | 'excludeTables'> & { masking?: Pick<DatabaseOptions['masking'], 'rules'> },
  names: Names,
): RefreshPlan {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const { schema, extension } of [...source.extensionSchemas, ...target.extensionSchemas]) {
    const problem = `\`schemas\` names \`${schema}\`, which extension \`${extension}\` created: its objects are the extension's, never refreshed. Remove it from \`schemas\`.`;
    if (!problems.includes(problem)) problems.push(problem);
  }
  const keys = [...new Set([...source.tables.keys(), ...target.tables.keys()])].sort();
  const tables: TablePlan[] = [];
  for (const key of keys) {
    const src = source.tables.get(key);
    const tgt = target.tables.get(key);
    const table = (src ?? tgt)!;
    const base = { key, source: src, target: tgt, columns: [], format: 'text' as const, columnDifferences: [], masks: [] };
    const excluded = options.excludeTables.find((p) => matchesPattern(table, p));
    const listed = options.tables.length === 0 || options.tables.some((p) => matchesPattern(table, p));
    const explicitlyListed = options.tables.some((p) => matchesPattern(table, p) && namesTablesOutright(p));
    const extension = src?.extension ?? tgt?.extension;
    if (extension) {
      tables.push({ ...base, action: 'keep', reason: `belongs to extension \`${extension}\`: left as ${names.target} has it` });
      if (explicitlyListed) problems.push(`\`tables\` names \`${key}\`, which belongs to extension \`${extension}\`: an extension's tables are never refreshed. Remove it from \`tables\`.`);
    } else if (excluded) {
      tables.push({ ...base, action: 'keep', reason: `excluded by \`exclude-tables\` (\`${excluded.text}\`): left as ${names.target} has it` });
    } else if (!listed) {
      tables.push({ ...base, action: 'keep', reason: `not listed in \`tables\`: left as ${names.target} has it` });
    } else if (MIGRATION_TABLE_NAMES.has(table.name) && !explicitlyListed) {
      tables.push({ ...base, action: 'keep', reason: `migration bookkeeping: ${names.target} keeps its own (it describes ${names.target}'s schema)` });
    } else if (!src) {
      tables.push({ ...base, action: 'keep', reason: `only in ${names.target}: left untouched` });
      warnings.push(`\`${key}\` exists only in ${names.target}: left untouched.`);
    } else if (!tgt) {
      tables.push({ ...base, action: 'skip', reason: `only in ${names.source}: not copied (${names.target}'s migrations have not created it)` });
      warnings.push(`\`${key}\` exists only in ${names.source}: skipped (${names.target}'s schema has no such table).`);
    } else {
      const columns = planColumns(src, tgt, names);
      problems.push(...columns.problems);
      warnings.push(...columns.warnings);
      tables.push({ ...base, action: 'copy', columns: columns.names, format: columns.binary ? 'binary' : 'text', columnDifferences: columns.differences });
    }
  }

  const copied = new Map(tables.filter((t) => t.action === 'copy').map((t) => [t.key, t]));
  for (const fk of target.foreignKeys) {
    if (copied.has(fk.parent) && !copied.has(fk.child)) {
      problems.push(
        `${names.target}'s table \`${fk.child}\` (not refreshed) references \`${fk.parent}\` (constraint \`${fk.name}\`), so \`${fk.parent}\` cannot be emptied without emptying \`${fk.child}\` too: add \`${fk.child}\` to the refresh or add \`${fk.parent}\` to \`exclude-tables\`.`,
      );
    } else if (copied.has(fk.child) && !copied.has(fk.parent)) {
      warnings.push(`\`${fk.child}\` references \`${fk.parent}\`, which is not refreshed: ids in \`${fk.child}\` come from ${names.source} and may point at rows ${names.target} does not have.`);
    }
  }
  const rules = options.masking?.rules ?? [];
  const unmaskedPersonal: string[] = [];
  for (const rule of rules) {
    const key = `${rule.schema}.${rule.table}`;
    const where = `\`${key}.${rule.column}\``;
    // A typo must not leave personal data unmasked: every rule names something production has.
    const table = source.tables.get(key);
    if (!table) problems.push(`\`masking\` names ${where}, and ${names.source} has no table \`${key}\`: fix the rule.`);
    else if (!table.columns.some((c) => c.name === rule.column)) problems.push(`\`masking\` names ${where}, and ${names.source}'s \`${key}\` has no column \`${rule.column}\`: fix the rule.`);
    const generated = target.tables.get(key)?.columns.find((c) => c.name === rule.column && c.generated);
    if (generated) problems.push(ruleTypeProblem(rule, generated)!);
  }
  for (const table of copied.values()) {
    for (const column of table.columns) {
      const rule = rules.find((r) => `${r.schema}.${r.table}` === table.key && r.column === column);
      if (rule) {
        const problem = ruleTypeProblem(rule, table.target!.columns.find((c) => c.name === column)!);
        if (problem) problems.push(problem);
        else table.masks.push(rule);
      } else if (looksPersonal(column)) {
        unmaskedPersonal.push(`${table.key}.${column}`);
      }
    }
    // The masked value is of production's type; binary COPY stays possible where the types match.
  }
  const { order, cycle } = dependencyOrder([...copied.values()], target);
  return { tables, loadOrder: order, problems, cycle, warnings, unmaskedPersonal };
}

interface ColumnPlan {
  names: string[];
  binary: boolean;
  differences: string[];
  warnings: string[];
  problems: string[];
}

/** Matches columns by name: what is copied, what is skipped, and what cannot work. */
export function planColumns(src: CatalogTable, tgt: CatalogTable, names: Names): ColumnPlan {
  const plan: ColumnPlan = { names: [], binary: true, differences: [], warnings: [], problems: [] };
  const sourceColumns = new Map(src.columns.map((c) => [c.name, c]));
  const targetNames = new Set(tgt.columns.map((c) => c.name));
  for (const column of src.columns) {
    if (!targetNames.has(column.name)) {
      plan.differences.push(`\`${column.name}\` only in ${names.source}: not copied`);
      plan.warnings.push(`\`${src.key}.${column.name}\` exists only in ${names.source}: its values are not copied.`);
    }
  }
  for (const column of tgt.columns) {
    const from = sourceColumns.get(column.name);
    if (column.generated) {
      if (from) plan.differences.push(`\`${column.name}\` is generated in ${names.target}: computed there, not copied`);
      else plan.differences.push(`\`${column.name}\` (generated) only in ${names.target}: computed there`);
      continue;
    }
    if (!from) {
      if (column.notNull && !column.hasDefault && !column.identity) {
        plan.problems.push(
          `\`${tgt.key}.${column.name}\` is NOT NULL without a default in ${names.target} and ${names.source} has no such column, so no row could be loaded: give it a default in ${names.target}, or add \`${tgt.key}\` to \`exclude-tables\`.`,
        );
      } else {
        plan.differences.push(`\`${column.name}\` only in ${names.target}: keeps its default`);
      }
      continue;
    }
    plan.names.push(column.name);
    if (from.type !== column.type) {
      plan.binary = false;
      if (textCarries(from, column)) {
        plan.differences.push(`\`${column.name}\` is ${from.type} in ${names.source}, ${column.type} in ${names.target}: converted through text`);
      } else {
        plan.problems.push(
          `\`${tgt.key}.${column.name}\` is ${from.type} in ${names.source} but ${column.type} in ${names.target}, which COPY's text form cannot convert: align the column types, or add \`${tgt.key}\` to \`exclude-tables\`.`,
        );
      }
    } else if (!column.binarySafe || !from.binarySafe) {
      plan.binary = false;
    }
  }
  if (plan.names.length === 0) plan.binary = false;
  return plan;
}

/**
 * Whether a value's text form in one type reads back in the other: within one type category
 * (numbers to numbers, strings to strings, times to times), or into any string type.
 */
function textCarries(from: CatalogColumn, to: CatalogColumn): boolean {
  if (to.category === 'S') return true;
  if (from.category !== to.category) return false;
  // User-defined and composite categories only carry within the very same type.
  return !['U', 'C', 'E', 'P', 'X'].includes(to.category);
}

/**
 * Parents before children, by the target's foreign keys. Self-references need no order (keys are
 * checked at the end of each COPY), and deferrable keys are checked at commit.
 */
export function dependencyOrder(tables: TablePlan[], target: Catalog): { order: TablePlan[]; cycle?: string[] } {
  const byKey = new Map(tables.map((t) => [t.key, t]));
  const parents = new Map<string, Set<string>>(tables.map((t) => [t.key, new Set()]));
  for (const fk of target.foreignKeys) {
    if (fk.deferrable || fk.child === fk.parent || !byKey.has(fk.child) || !byKey.has(fk.parent)) continue;
    parents.get(fk.child)!.add(fk.parent);
  }
  const order: TablePlan[] = [];
  const done = new Set<string>();
  let progressed = true;
  while (order.length < tables.length && progressed) {
    progressed = false;
    for (const t of tables) {
      if (done.has(t.key) || [...parents.get(t.key)!].some((p) => !done.has(p))) continue;
      order.push(t);
      done.add(t.key);
      progressed = true;
    }
  }
  if (order.length === tables.length) return { order };
  const rest = tables.filter((t) => !done.has(t.key));
  return { order: [...order, ...rest], cycle: rest.map((t) => t.key) };
}
