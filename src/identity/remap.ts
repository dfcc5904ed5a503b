import type pg from 'pg';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { IdentityOptions } from '../config/identity-options.js';
import { qualifiedName } from '../db/connect.js';
import { describePgError } from '../db/copy-engine.js';
import { NOTHING_WRITTEN, RefreshError } from '../db/refresh-error.js';
import type { Names } from '../db/refresh-plan.js';
import { identityRemapLine } from '../report/identity-remap.js';
import { plural } from '../report/format.js';
import type { IdentityRemapReport } from '../report/model.js';
import { listPoolUsers } from './pool.js';
import { remapStatements, type RemapTarget } from './remap-sql.js';


export interface PreparedRemap {
  /** For the copy engine's `inTransaction` hook: runs inside the refresh transaction, after the load. */
  apply: (target: pg.Client, log: (line: string) => void) => Promise<void>;
  /** Filled in by `apply`; the pool figures are there from the start. */
  report: IdentityRemapReport;
}

interface StagingSide {
  options: IdentityOptions;
  /** Staging's connection, outside any transaction. */
  target: pg.Client;
  names: Names;
  credentials?: AwsCredentialIdentityProvider;
  /** Whose AWS credentials these are, for messages. */
  who: string;
}

/** Staging's pool, listed with staging's credentials; a failure means nothing was written. */
const listStagingPool = (opts: StagingSide, maxPages?: number) =>
  listPoolUsers({
    userPoolId: opts.options.userPoolId,
    region: opts.options.region,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    who: `${opts.names.target}'s credentials (${opts.who})`,
    ...(maxPages ? { maxPages } : {}),
  }).catch((error: Error) => {
    throw new RefreshError(error.message, NOTHING_WRITTEN);
  });

/**
 * The inspection's check, before any step writes (images are copied before the database): staging's
 * identity table and columns, and one page of staging's pool listed with staging's credentials, so
 * a missing permission or a wrong pool id stops the run before anything changes. Writes nothing.
 */
export async function probeIdentityRemap(opts: StagingSide): Promise<void> {
  await identityTarget(opts.target, opts.options, opts.names);
  await listStagingPool(opts, 1);
}

/**
 * Everything the remap needs from outside the transaction, done before it opens: staging's
 * identity table and columns are checked, and staging's pool is listed (AWS calls must not hold
 * the transaction and its table locks open). A failure here leaves staging untouched.
 */
export async function prepareIdentityRemap(opts: StagingSide & { log: (line: string) => void }): Promise<PreparedRemap> {
  const { options, names } = opts;
  const target = await identityTarget(opts.target, options, names);
  const listing = await listStagingPool(opts);
  const { directory } = listing;
  opts.log(
    `Identity remap: listed ${plural(directory.users, 'user')} of ${names.target}'s Cognito pool \`${options.userPoolId}\` ` +
      `(${plural(listing.pages, 'page')}, ${listing.seconds.toFixed(1)} s) with ${opts.who}.`,
  );
  const report: IdentityRemapReport = {
    userPoolId: options.userPoolId,
    table: `${options.table.schema}.${options.table.name}`,
    emailColumn: options.emailColumn,
    subjectColumn: options.subjectColumn,
    unmatchedPolicy: options.unmatched,
    poolUsers: directory.users,
    pages: listing.pages,
    poolUsersWithoutEmail: directory.withoutEmail,
  };
  const statements = remapStatements(target);
  const params = [directory.emails, directory.subs];

  const apply = async (client: pg.Client, log: (line: string) => void): Promise<void> => {
    // A role that row-level security would filter must fail, not silently leave production's ids in hidden rows.
    await client.query('SET LOCAL row_security TO off');
    const { rows } = await client.query<Record<string, string>>(statements.counts, params);
    const counts = rows[0]!;
    report.ambiguousEmails = Number(counts.ambiguous_emails);
    report.rowsWithoutIdentity = Number(counts.rows_without_identity);
    report.poolUsersWithoutRow = Number(counts.pool_users_without_row);
    const unmatched = Number(counts.rows_unmatched);
    const key = `\`${report.table}\``;
    if (unmatched > 0 && options.unmatched === 'fail') {
      throw new RefreshError(
        `${plural(unmatched, 'row')} of ${key} ${unmatched === 1 ? 'holds' : 'hold'} a \`${options.subjectColumn}\` but no user of ${names.target}'s Cognito pool \`${options.userPoolId}\` has ${unmatched === 1 ? 'its' : 'their'} \`${options.emailColumn}\` ` +
          `(\`identity-unmatched: fail\`)${report.ambiguousEmails ? `; ${report.ambiguousEmails} of the pool's e-mail addresses belong to several users and match nobody` : ''}. ` +
          `Create those users in the pool, or set \`identity-unmatched\` to \`null\` (clear their subject) or \`keep\`.`,
      );
    }
    if (unmatched > 0 && options.unmatched === 'null' && target.subjectNotNull) {
      throw new RefreshError(
        `${plural(unmatched, 'row')} of ${key} ${unmatched === 1 ? 'has' : 'have'} no user in ${names.target}'s Cognito pool, and \`identity-unmatched: null\` cannot clear ${unmatched === 1 ? 'its' : 'their'} subject: \`${options.subjectColumn}\` is NOT NULL in ${names.target}. ` +
          'Set `identity-unmatched` to `keep` or `fail`, or allow NULL in that column.',
      );
    }
    try {
      report.rowsUnmatched = options.unmatched === 'null' ? (await client.query(statements.clearUnmatched, params)).rowCount ?? 0 : unmatched;
      report.rowsUpdated = (await client.query(statements.setMatched, params)).rowCount ?? 0;
    } catch (error) {
      const shared = (error as { code?: string }).code === '23505' ? ' (several rows may share an e-mail address, so they would get the same `sub`)' : '';
      throw new RefreshError(`setting \`${report.table}.${options.subjectColumn}\` from ${names.target}'s Cognito pool failed: ${describePgError(error)}${shared}.`);
    }
    await client.query('SET LOCAL row_security TO DEFAULT');
    log(`Identity remap: ${identityRemapLine(report, names.target)}`);
  };
  return { apply, report };
}

/** Staging's identity table and columns as they are (the load replaces rows, not columns), or why the remap cannot run. */
async function identityTarget(client: pg.Client, options: IdentityOptions, names: Names): Promise<RemapTarget & { subjectNotNull: boolean }> {
  const key = `${options.table.schema}.${options.table.name}`;
  const fail = (problem: string): never => {
    throw new RefreshError(`${problem} Nothing was changed.`, NOTHING_WRITTEN);
  };
  const exists = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [qualifiedName(options.table)]);
  if (!exists.rows[0]?.oid) fail(`\`identity-table\` \`${key}\`: ${names.target} has no such table. Name the table holding the users (e.g. \`public.users\`).`);
  const { rows } = await client.query<{ name: string; type: string; category: string; not_null: boolean; generated: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category,
            a.attnotnull AS not_null, a.attgenerated <> '' AS generated
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY($2::text[])`,
    [qualifiedName(options.table), [options.emailColumn, options.subjectColumn]],
  );
  const column = (name: string, input: string) =>
    rows.find((r) => r.name === name) ?? fail(`\`${input}\` \`${name}\`: ${names.target}'s \`${key}\` has no such column.`);
  const email = column(options.emailColumn, 'identity-email-column');
  const subject = column(options.subjectColumn, 'identity-subject-column');
  if (email.category !== 'S') fail(`\`identity-email-column\` \`${key}.${email.name}\` is ${email.type}, not a text column: it cannot hold e-mail addresses.`);
  if (subject.generated) fail(`\`identity-subject-column\` \`${key}.${subject.name}\` is a generated column: it cannot be set.`);
  if (subject.category !== 'S' && subject.type !== 'uuid') {
    fail(`\`identity-subject-column\` \`${key}.${subject.name}\` is ${subject.type}: a Cognito \`sub\` (a UUID) needs a text or uuid column.`);
  }
  return { table: options.table, emailColumn: options.emailColumn, subjectColumn: options.subjectColumn, subjectType: subject.type, subjectNotNull: subject.not_null };
}
