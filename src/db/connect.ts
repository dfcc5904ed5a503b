import pg from 'pg';
import { readFile } from 'node:fs/promises';
import { fallsBack, tlsAttempts, toClientConfig, type DatabaseUrl } from '../config/database-url.js';
import type { TableName } from '../config/config.js';

export interface Connected {
  client: pg.Client;
  /** e.g. "production's database (db.example.com:5432/app)" — no password. */
  label: string;
}

/**
 * Opens a connection the way libpq would for the URL's `sslmode` (absent: `prefer`): e.g.
 * `prefer` tries TLS first and connects plain only when the server turns TLS down, so that
 * `db-method: copy` and `dump` (libpq) connect alike.
 */
export async function connectDatabase(
  db: DatabaseUrl,
  environment: string,
  opts: { readOnly: boolean },
): Promise<Connected> {
  const label = `${environment}'s database (${db.host}:${db.port}/${db.database})`;
  let rootCertificates: string | undefined;
  if (db.sslrootcert) {
    try {
      rootCertificates = await readFile(db.sslrootcert, 'utf8');
    } catch (error) {
      throw new Error(`could not read the sslrootcert file \`${db.sslrootcert}\` of ${label}: ${(error as Error).message}. Give the path of a PEM file of CA certificates.`);
    }
  }
  const attempts = tlsAttempts(db);
  const failures: string[] = [];
  for (const [i, attempt] of attempts.entries()) {
    const client = new pg.Client(toClientConfig(db, { readOnly: opts.readOnly, attempt, rootCertificates }));
    // An idle client's socket errors must not crash the process; the next query reports them.
    client.on('error', () => {});
    try {
      await client.connect();
      return { client, label };
    } catch (error) {
      await client.end().catch(() => {});
      failures.push(attempts.length > 1 ? `${attempt.tls ? 'with TLS' : 'without TLS'}: ${(error as Error).message}` : (error as Error).message);
      if (i === attempts.length - 1 || !fallsBack(error)) break;
    }
  }
  throw new Error(`could not connect to ${label}: ${failures.join('; ')}`);
}

/**
 * What the server says it is. The same database reached through `localhost`, `127.0.0.1` or a
 * DNS alias gives the same identity, which URL text alone cannot tell.
 */
export async function serverIdentity(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ db: string; started: string; port: number | null }>(
    `SELECT current_database() AS db, pg_postmaster_start_time()::text AS started, inet_server_port() AS port`,
  );
  const row = rows[0]!;
  let systemId = '';
  try {
    // Readable by superusers and pg_monitor members; the start time and port stand in otherwise.
    const res = await client.query<{ id: string }>(`SELECT system_identifier::text AS id FROM pg_control_system()`);
    systemId = res.rows[0]?.id ?? '';
  } catch {
    systemId = '';
  }
  return `${systemId || `${row.started}:${row.port ?? 'socket'}`}/${row.db}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedName(table: Pick<TableName, 'schema' | 'name'>): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

/**
 * A table's own rows in a FROM, TRUNCATE or COPY: `ONLY` for a plain table (not its inheritance
 * children), the whole of a partitioned one (its rows live in its partitions).
 */
export function ownRows(table: Pick<TableName, 'schema' | 'name'> & { kind: string }): string {
  return `${table.kind === 'p' ? '' : 'ONLY '}${qualifiedName(table)}`;
}

/**
 * Runs `work` inside a savepoint of the open transaction: a failure rolls back to it (the
 * transaction stays usable) and comes back as the error, for the caller to explain or skip.
 */
export async function attempt<T>(client: pg.Client, work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  await client.query('SAVEPOINT p2s_attempt');
  try {
    const value = await work();
    await client.query('RELEASE SAVEPOINT p2s_attempt');
    return { ok: true, value };
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT p2s_attempt');
    return { ok: false, error };
  }
}

/** Row count of `table`, or undefined when the table does not exist. */
export async function countRows(client: pg.Client, table: TableName): Promise<number | undefined> {
  const exists = await client.query<{ oid: string | null }>(`SELECT to_regclass($1)::text AS oid`, [qualifiedName(table)]);
  if (!exists.rows[0]?.oid) return undefined;
  const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualifiedName(table)}`);
  return Number(rows[0]!.n);
}
