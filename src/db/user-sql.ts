import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/** `post-sync-sql` could not run as part of the refresh; the caller's transaction is aborted. */
export class UserSqlError extends Error {}

/**
 * Runs user SQL (any number of statements, comments included) inside the caller's open transaction,
 * in a way the server itself keeps from ending that transaction: the SQL goes through PL/pgSQL's
 * EXECUTE, where COMMIT, ROLLBACK, END, SAVEPOINT and PREPARE TRANSACTION are refused, whatever
 * their spelling or the comments around them. Nothing is concatenated around the SQL as text:
 * it travels inside dollar quotes whose tags are chosen so they cannot occur in it.
 */
export async function runUserSql(client: pg.Client, sql: string, what = '`post-sync-sql`'): Promise<void> {
  const inner = unusedTag(sql, 'p2s_sql');
  const outer = unusedTag(sql + inner, 'p2s_do');
  const transaction = async () => (await client.query<{ id: string }>('SELECT txid_current()::text AS id')).rows[0]!.id;
  const before = await transaction();
  try {
    await client.query(`DO ${outer} BEGIN EXECUTE ${inner}${sql}${inner}; END ${outer}`);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === '0A000' && /transaction commands/.test(e.message ?? '')) {
      throw new UserSqlError(
        `${what} contains a transaction control statement (COMMIT, ROLLBACK, END, SAVEPOINT, PREPARE TRANSACTION, …), which is refused: it runs inside one transaction, so that it applies entirely or not at all. Remove those statements.`,
      );
    }
    if (e.code === '42704' && /language "plpgsql"/.test(e.message ?? '')) {
      throw new UserSqlError(`${what} runs through PL/pgSQL (to keep it inside the refresh's transaction), and the database has no plpgsql language: CREATE EXTENSION plpgsql.`);
    }
    throw error;
  }
  // Belt and braces: the transaction must still be the one the refresh opened.
  if ((await transaction()) !== before) {
    throw new UserSqlError(`${what} ended the refresh's transaction: remove transaction control statements from it.`);
  }
}

function unusedTag(text: string, stem: string): string {
  for (;;) {
    const tag = `$${stem}_${randomBytes(6).toString('hex')}$`;
    if (!text.includes(tag)) return tag;
  }
}
