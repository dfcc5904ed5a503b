import { compileGlob, GlobSyntaxError, splitOutsideSets, splitPatterns, type Glob } from '../glob/glob.js';
import type { TableName } from './config.js';
import type { InputSource } from './inputs.js';
import { parseMaskRules, type MaskRule } from '../masking/rules.js';

/** How the database is refreshed. Keep every choice here: the parser, docs and tests read this list. */
export const DB_METHODS = ['copy', 'dump', 'lambda'] as const;
export type DbMethod = (typeof DB_METHODS)[number];

export const DEFAULT_DB_METHOD: DbMethod = 'copy';
export const DEFAULT_SCHEMAS = 'public';
export const DEFAULT_LOCK_TIMEOUT = '30s';

/**
 * Tables in which frameworks record which migrations ran. They describe the schema they sit in,
 * so staging keeps its own (its schema is migrated by its own deploys).
 */
export const MIGRATION_TABLES = [
  'alembic_version',
  'schema_migrations',
  'ar_internal_metadata',
  '_prisma_migrations',
  'flyway_schema_history',
  'django_migrations',
  'knex_migrations',
  'knex_migrations_lock',
  'doctrine_migration_versions',
  'migrations',
  'sequelize_meta',
  'SequelizeMeta',
  'goose_db_version',
  'typeorm_migrations',
  'mikro_orm_migrations',
  'databasechangelog',
  'databasechangeloglock',
  '__EFMigrationsHistory',
] as const;

/** A table pattern from `tables` / `exclude-tables`: `name` or `schema.name`, each part a glob (src/glob/glob.ts). */
export interface TablePattern {
  schema?: string;
  name: string;
  text: string;
}

/** Inputs of this capability, validated; problems go to `inputs.problems`. */
export interface DatabaseOptions {
  method: DbMethod;
  /** Schemas whose tables are refreshed. */
  schemas: string[];
  /** Only these tables (empty: every table of `schemas`). */
  tables: TablePattern[];
  excludeTables: TablePattern[];
  /** Milliseconds to wait for a lock on a staging table before failing. */
  lockTimeoutMs: number;
  /** SQL run in staging inside the refresh transaction, before the checks. */
  postSyncSql: string;
  masking: MaskingOptions;
}

export const ON_UNMASKED_PII = ['warn', 'fail'] as const;

export interface MaskingOptions {
  rules: MaskRule[];
  /** The key of the keyed rules (`masking-salt`); without it each refresh draws a random one, so values differ from run to run. */
  salt?: string;
  onUnmaskedPii: (typeof ON_UNMASKED_PII)[number];
}

export function parseDatabaseOptions(inputs: InputSource): DatabaseOptions {
  const method = inputs.choice('db-method', DB_METHODS, DEFAULT_DB_METHOD);
  const schemas = inputs.list('schemas', DEFAULT_SCHEMAS);
  for (const schema of schemas) {
    if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(schema)) {
      inputs.problems.push(`\`schemas\` holds \`${schema}\`, which is not a schema name (one per line, e.g. \`public\`).`);
    }
  }
  for (const schema of schemas.filter(isSystemSchema)) inputs.problems.push(systemSchemaProblem('schemas', schema));
  if (schemas.length === 0) inputs.problems.push('`schemas` is empty: name at least one schema (e.g. `public`).');
  const tables = parsePatterns(inputs, 'tables');
  const excludeTables = parsePatterns(inputs, 'exclude-tables');
  const lockTimeoutMs = inputs.duration('lock-timeout', DEFAULT_LOCK_TIMEOUT);
  if (lockTimeoutMs < 1) inputs.problems.push('`lock-timeout` must be longer than 0 (e.g. `30s`): 0 would wait forever.');
  // Transaction control in it is refused by the server itself when it runs (src/db/user-sql.ts):
  // no text check can tell a COMMIT from the word in a string or a comment.
  const postSyncSql = inputs.value('post-sync-sql');
  return { method, schemas, tables, excludeTables, lockTimeoutMs, postSyncSql, masking: parseMaskingOptions(inputs, method) };
}

function parseMaskingOptions(inputs: InputSource, method: DbMethod): MaskingOptions {
  const { rules, problems } = parseMaskRules(inputs.value('masking'));
  inputs.problems.push(...problems);
  for (const rule of rules.filter((r) => isSystemSchema(r.schema))) inputs.problems.push(systemSchemaProblem('masking', rule.text));
  // lambda: the function runs the same engine; an answer in the original shape (no masking) fails the run.
  if (rules.length > 0 && method === 'dump') {
    inputs.problems.push(`\`masking\` needs \`db-method: copy\` (or \`lambda\` with this action's function): it masks values inside production's own query, which \`db-method: ${method}\` cannot do.`);
  }
  const salt = inputs.value('masking-salt');
  inputs.secret(salt);
  const onUnmaskedPii = inputs.choice('on-unmasked-pii', ON_UNMASKED_PII, 'warn');
  return { rules, ...(salt ? { salt } : {}), onUnmaskedPii };
}

/**
 * PostgreSQL's own schemas (the `pg_` prefix is reserved for them, temporary and TOAST schemas
 * included) are never refreshed, whatever the role: truncating a catalog breaks the server.
 */
export function isSystemSchema(schema: string): boolean {
  return /^pg_/i.test(schema) || schema.toLowerCase() === 'information_schema';
}

export function systemSchemaProblem(input: string, value: string): string {
  return `\`${input}\` names \`${value}\`, in one of PostgreSQL's own schemas (pg_catalog, information_schema, pg_toast, pg_temp…), which are never refreshed: name your application's schemas and tables (e.g. \`public\`).`;
}

/**
 * `tables` / `exclude-tables`: one pattern per line or comma-separated (a comma inside a brace set
 * belongs to it). The schema and the name are split at the dot outside brace sets; either may be
 * a glob. A leading `!` is refused: `exclude-tables` says what to leave out.
 */
function parsePatterns(inputs: InputSource, name: string): TablePattern[] {
  const patterns: TablePattern[] = [];
  const notTableName = (text: string) =>
    `\`${name}\` holds \`${text}\`, which is not a table name (\`books\`, \`public.books\` or a glob such as \`audit_*\`${text.includes('{') ? '; put the schema before the braces: `{public,audit}.books`' : ''}).`;
  for (const text of splitPatterns(inputs.value(name), { commas: true })) {
    if (text.startsWith('!')) {
      inputs.problems.push(
        `\`${name}\` holds \`${text}\`, which is not a valid pattern: a leading \`!\` (negation) is not supported here; list the tables to leave out in \`exclude-tables\`.`,
      );
      continue;
    }
    const parts = splitOutsideSets(text, '.');
    if (parts.length > 2 || parts.some((part) => part === '')) {
      inputs.problems.push(notTableName(text));
      continue;
    }
    let globs: Glob[];
    try {
      globs = parts.map(tableGlob);
    } catch (error) {
      if (!(error instanceof GlobSyntaxError)) throw error;
      inputs.problems.push(`\`${name}\` holds \`${text}\`, which is not a valid pattern: ${error.message}.`);
      continue;
    }
    if (globs.some((glob) => !/^[A-Za-z0-9_$]*$/.test(glob.literalCharacters))) {
      inputs.problems.push(notTableName(text));
      continue;
    }
    // A schema named outright (or in a brace set of names) that is PostgreSQL's own.
    const schemaNames = parts.length === 2 ? (globs[0]!.finiteMatches ?? []) : [];
    if (schemaNames.some(isSystemSchema) || (parts.length === 2 && isSystemSchema(parts[0]!))) inputs.problems.push(systemSchemaProblem(name, text));
    patterns.push(parts.length === 2 ? { schema: parts[0]!, name: parts[1]!, text } : { name: parts[0]!, text });
  }
  return patterns;
}

/** Compiled table globs by text: the plan matches every table against every pattern. */
const tableGlobs = new Map<string, Glob>();
function tableGlob(text: string): Glob {
  let glob = tableGlobs.get(text);
  if (!glob) {
    glob = compileGlob(text);
    tableGlobs.set(text, glob);
  }
  return glob;
}

/** Whether `table` matches `pattern` (globs on either part; no schema: any schema). */
export function matchesPattern(table: TableName, pattern: TablePattern): boolean {
  if (pattern.schema !== undefined && !tableGlob(pattern.schema).test(table.schema)) return false;
  return tableGlob(pattern.name).test(table.name);
}

/**
 * Whether the pattern names its tables outright (`alembic_version`, `public.{books,authors}`),
 * rather than matching whatever fits (`*_version`): naming a migration table copies it.
 */
export function namesTablesOutright(pattern: TablePattern): boolean {
  return tableGlob(pattern.name).finiteMatches !== undefined && (pattern.schema === undefined || tableGlob(pattern.schema).finiteMatches !== undefined);
}
