import type pg from 'pg';
import { SALT_SETTING } from '../masking/rules.js';

/**
 * Settings that make both sessions read and write values the same way whatever the servers'
 * (or roles') defaults are, as pg_dump does. Text-format COPY follows DateStyle, IntervalStyle
 * and extra_float_digits; row_security = off makes a role that row-level security would filter
 * fail instead of silently copying part of a table.
 */
const VALUE_FORMAT = {
  DateStyle: 'ISO',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  row_security: 'off',
};

/**
 * The source transaction: one snapshot, read-only, values in a fixed text form, reg* values
 * printed schema-qualified (empty search_path), and no server-side timeout that would end the
 * snapshot while staging rebuilds indexes or waits for locks.
 */
export async function beginSourceSnapshot(source: pg.Client, lockTimeout: string, maskingSalt = ''): Promise<void> {
  await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await setLocal(source, {
    [SALT_SETTING]: maskingSalt,
    ...VALUE_FORMAT,
    TimeZone: 'UTC',
    search_path: '',
    lock_timeout: lockTimeout,
    statement_timeout: '0',
    idle_in_transaction_session_timeout: '0',
  });
}

/**
 * The target transaction: the same value formats, and an empty search_path while its catalog is
 * read, so that type names and index definitions come out schema-qualified, as the source's do.
 */
export async function beginTargetTransaction(target: pg.Client, lockTimeout: string): Promise<void> {
  await target.query('BEGIN');
  await setLocal(target, { ...VALUE_FORMAT, search_path: '', lock_timeout: lockTimeout, statement_timeout: '0', idle_in_transaction_session_timeout: '0' });
}

/** After the catalog is read: staging's own search_path again (functions in its indexes and views may rely on it). */
export async function restoreTargetSearchPath(target: pg.Client): Promise<void> {
  await target.query('SET LOCAL search_path TO DEFAULT');
}

/** Gives `post-sync-sql` the session's own formats back (its casts and comparisons expect them). */
export async function restoreTargetValueFormat(target: pg.Client): Promise<void> {
  for (const name of ['DateStyle', 'IntervalStyle', 'extra_float_digits', 'row_security']) await target.query(`SET LOCAL ${name} TO DEFAULT`);
}

async function setLocal(client: pg.Client, settings: Record<string, string>): Promise<void> {
  // set_config(…, true) is SET LOCAL with bound values: nothing is spliced into SQL text.
  const names = Object.keys(settings);
  await client.query(`SELECT ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`, names.flatMap((n) => [n, settings[n]!]));
}
