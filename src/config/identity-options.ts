import { parseTableName, type TableName } from './config.js';
import { isSystemSchema, matchesPattern, systemSchemaProblem, type DatabaseOptions } from './database-options.js';
import type { InputSource } from './inputs.js';

/** What happens to a row whose e-mail no user of staging's pool has. Keep every choice here: parser, docs and tests read it. */
export const IDENTITY_UNMATCHED = ['null', 'keep', 'fail'] as const;
export type IdentityUnmatched = (typeof IDENTITY_UNMATCHED)[number];

export const IDENTITY_DEFAULTS = { table: 'users', emailColumn: 'email', subjectColumn: 'cognito_sub', unmatched: 'null' } as const;

/**
 * Re-pointing users at staging's Cognito user pool after the load (the `identity-*` inputs).
 * Absent when `cognito-user-pool-id` is empty or the run does not refresh the database.
 */
export interface IdentityOptions {
  userPoolId: string;
  /** The pool's region: the part of its id before `_` (a pool answers only in its own region). */
  region: string;
  table: TableName;
  emailColumn: string;
  subjectColumn: string;
  unmatched: IdentityUnmatched;
}

// `us-east-1_AbC123xyz`: the region, `_`, letters and digits (Cognito's own pattern, max 55).
const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export function parseIdentityOptions(
  inputs: InputSource,
  database: DatabaseOptions,
  run: { touchesDatabase: boolean },
): IdentityOptions | undefined {
  const { problems } = inputs;
  const poolId = inputs.value('cognito-user-pool-id');
  const tableText = inputs.value('identity-table', IDENTITY_DEFAULTS.table);
  const emailColumn = inputs.value('identity-email-column', IDENTITY_DEFAULTS.emailColumn);
  const subjectColumn = inputs.value('identity-subject-column', IDENTITY_DEFAULTS.subjectColumn);
  const unmatched = inputs.choice('identity-unmatched', IDENTITY_UNMATCHED, IDENTITY_DEFAULTS.unmatched);

  if (!poolId) {
    // A changed identity input without a pool means the remap was wanted and would silently not happen.
    const changed = (
      [
        ['identity-table', tableText, IDENTITY_DEFAULTS.table],
        ['identity-email-column', emailColumn, IDENTITY_DEFAULTS.emailColumn],
        ['identity-subject-column', subjectColumn, IDENTITY_DEFAULTS.subjectColumn],
        ['identity-unmatched', unmatched, IDENTITY_DEFAULTS.unmatched],
      ] as const
    ).filter(([, value, fallback]) => value !== fallback);
    if (changed.length > 0) {
      problems.push(
        `${changed.map(([name]) => `\`${name}\``).join(', ')} ${changed.length > 1 ? 'are' : 'is'} set but \`cognito-user-pool-id\` is empty: give staging's user pool id (e.g. \`us-east-1_AbC123xyz\`) to re-point users at it, or remove ${changed.length > 1 ? 'them' : 'it'}.`,
      );
    }
    return undefined;
  }
  if (!run.touchesDatabase) return undefined;

  const poolMatch = POOL_ID.exec(poolId);
  if (!poolMatch || poolId.length > 55) {
    problems.push(`\`cognito-user-pool-id\` must be a Cognito user pool id such as \`us-east-1_AbC123xyz\` (its region, \`_\`, letters and digits), got \`${poolId}\`.`);
  }
  const table = parseTableName(tableText);
  if (!table) {
    problems.push(`\`identity-table\` must be a table name, optionally schema-qualified (e.g. \`users\` or \`public.users\`), got \`${tableText}\`.`);
  } else if (isSystemSchema(table.schema)) {
    problems.push(systemSchemaProblem('identity-table', tableText));
  }
  for (const [name, column] of [['identity-email-column', emailColumn], ['identity-subject-column', subjectColumn]] as const) {
    if (!IDENT.test(column)) problems.push(`\`${name}\` must be a column name (e.g. \`${name === 'identity-email-column' ? 'email' : 'cognito_sub'}\`), got \`${column}\`.`);
  }
  if (emailColumn === subjectColumn) {
    problems.push(`\`identity-email-column\` and \`identity-subject-column\` are both \`${emailColumn}\`: the subject would overwrite the e-mail it is matched on. Name the column that holds the Cognito \`sub\`.`);
  }
  if (database.method !== 'copy') {
    problems.push(
      `\`cognito-user-pool-id\` needs \`db-method: copy\`: users are re-pointed at staging's pool inside the refresh transaction, which \`db-method: ${database.method}\` does not have. Use \`db-method: copy\`, or re-point them yourself after the run.`,
    );
  }
  if (table) identityTableProblems(table, emailColumn, database, problems);

  if (problems.length > 0 || !poolMatch || !table) return undefined;
  return { userPoolId: poolId, region: poolMatch[1]!, table, emailColumn, subjectColumn, unmatched };
}

/**
 * The identity table must be one the refresh replaces (otherwise staging's own rows, already
 * pointing at its pool, would be rewritten), and its e-mail column must reach staging as
 * production has it: a masked address matches no pool user.
 */
function identityTableProblems(table: TableName, emailColumn: string, database: DatabaseOptions, problems: string[]): void {
  const key = `${table.schema}.${table.name}`;
  const included =
    database.schemas.includes(table.schema) &&
    (database.tables.length === 0 || database.tables.some((p) => matchesPattern(table, p))) &&
    !database.excludeTables.some((p) => matchesPattern(table, p));
  if (!included) {
    problems.push(
      `\`identity-table\` \`${key}\` is not among the tables the refresh replaces (see \`schemas\`, \`tables\` and \`exclude-tables\`): staging keeps its own rows there, already pointing at its own pool. Include the table, or remove \`cognito-user-pool-id\`.`,
    );
  }
  const rule = database.masking.rules.find((r) => r.schema === table.schema && r.table === table.name && r.column === emailColumn);
  if (rule && rule.rule !== 'keep') {
    problems.push(
      `\`masking\` rewrites \`${key}.${emailColumn}\` (\`${rule.text}\`), the column users are matched on with staging's Cognito pool: a masked address matches no pool user, so every row would lose its identity. ` +
        `Drop that rule (or make it \`keep\`) to re-point users, or remove \`cognito-user-pool-id\`.`,
    );
  }
}
