import type { TableName } from '../config/config.js';
import { qualifiedName, quoteIdent } from '../db/connect.js';

/** The identity table as staging has it. */
export interface RemapTarget {
  table: TableName;
  emailColumn: string;
  subjectColumn: string;
  /** The subject column's type as `format_type` prints it (e.g. `uuid`, `character varying(64)`): the pool's `sub` is cast to it. */
  subjectType: string;
}

/** The statements of the remap, each taking $1 = the pool's e-mails (text[]) and $2 = their subs (text[]), in the same order. */
export interface RemapStatements {
  /** One row: rows_unmatched, rows_without_identity, ambiguous_emails, pool_users_without_row. */
  counts: string;
  /** Clears the subject of rows no pool user has the e-mail of (`identity-unmatched: null`). */
  clearUnmatched: string;
  /** Gives every row whose e-mail one pool user has that user's `sub`. */
  setMatched: string;
}

/**
 * Builds the remap as set-based statements: the whole pool goes to staging as two array
 * parameters (any size, nothing spliced into the SQL text) and every row is matched in one join,
 * not one statement per user. E-mails are folded by PostgreSQL's `lower()` on both sides; an
 * address several pool users share matches nobody (which of them is the person is unknowable).
 */
export function remapStatements(target: RemapTarget): RemapStatements {
  const table = qualifiedName(target.table);
  const email = quoteIdent(target.emailColumn);
  const subject = quoteIdent(target.subjectColumn);
  const pool = `WITH pool AS (
    SELECT lower(u.email) AS email_key, min(u.sub) AS sub, count(*) AS users
      FROM unnest($1::text[], $2::text[]) AS u(email, sub)
     GROUP BY 1)`;
  const matchedBy = (alias: string) => `p.users = 1 AND p.email_key = lower(${alias}.${email}::text)`;
  return {
    counts: `${pool}
    SELECT count(*) FILTER (WHERE p.users IS DISTINCT FROM 1 AND t.${subject} IS NOT NULL)::text AS rows_unmatched,
           count(*) FILTER (WHERE p.users IS DISTINCT FROM 1 AND t.${subject} IS NULL)::text AS rows_without_identity,
           (SELECT count(*) FROM pool WHERE users > 1)::text AS ambiguous_emails,
           (SELECT count(*) FROM pool q
             WHERE q.users = 1 AND NOT EXISTS (SELECT 1 FROM ${table} r WHERE lower(r.${email}::text) = q.email_key))::text AS pool_users_without_row
      FROM ${table} t LEFT JOIN pool p ON p.email_key = lower(t.${email}::text)`,
    clearUnmatched: `${pool}
    UPDATE ${table} AS t SET ${subject} = NULL
     WHERE t.${subject} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pool p WHERE ${matchedBy('t')})`,
    setMatched: `${pool}
    UPDATE ${table} AS t SET ${subject} = p.sub::${target.subjectType}
      FROM pool p
     WHERE ${matchedBy('t')}`,
  };
}
