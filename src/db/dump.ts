import * as core from '@actions/core';
import { getExecOutput } from '@actions/exec';
import { spawn } from 'node:child_process';
import type { DatabaseUrl } from '../config/database-url.js';
import type { RunContext } from '../context.js';
import { StepError } from '../plan/runner.js';
import { formatCount } from '../report/format.js';
import type pg from 'pg';
import type { TableName } from '../config/config.js';
import type { TableReport } from '../report/model.js';
import { connectDatabase, countRows, type Connected } from './connect.js';
import { describePgError } from './copy-engine.js';
import { hideRowValues } from './pg-error-text.js';
import { runUserSql, UserSqlError } from './user-sql.js';
import { NOTHING_WRITTEN } from './refresh-error.js';

/** A PostgreSQL version as `server_version_num` counts it: 150018 is 15.18, 90624 is 9.6.24. */
export interface PgVersion {
  num: number;
  /** `15`, or `9.6` before PostgreSQL 10. */
  major: string;
}

/** Reads `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` or `pg_dump (PostgreSQL) 9.6.0`. */
export function parseClientVersion(text: string): PgVersion | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  const [a, b, c] = [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
  return a >= 10 ? { num: a * 10000 + b, major: String(a) } : { num: a * 10000 + b * 100 + c, major: `${a}.${b}` };
}

export function serverVersion(versionNum: number): PgVersion {
  const major = versionNum >= 100000 ? String(Math.floor(versionNum / 10000)) : `${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}`;
  return { num: versionNum, major };
}

const majorNum = (v: PgVersion) => (v.num >= 100000 ? Math.floor(v.num / 10000) * 100 : Math.floor(v.num / 100));

/** Why this `pg_dump` cannot dump that server (an older major version), or undefined when it can. */
export function clientTooOld(client: PgVersion, server: PgVersion, environment: string): string | undefined {
  if (majorNum(client) >= majorNum(server)) return undefined;
  return (
    `pg_dump ${client.major} cannot dump ${environment}'s PostgreSQL ${server.major} server (pg_dump must be at least the server's major version). ` +
    installHint(server.major)
  );
}

export function installHint(major: string): string {
  return (
    `Install postgresql-client-${major}; on an Ubuntu runner add a step before this action: ` +
    `\`sudo apt-get install -y postgresql-common && sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y && sudo apt-get install -y postgresql-client-${major}\` ` +
    `(the PostgreSQL apt repository), or use \`db-method: copy\`, which needs no client tools.`
  );
}

async function clientVersion(tool: string): Promise<PgVersion | undefined> {
  try {
    const out = await getExecOutput(tool, ['--version'], { silent: true, ignoreReturnCode: true });
    return parseClientVersion(out.stdout);
  } catch {
    return undefined;
  }
}

/** Checks that pg_dump and pg_restore are installed and new enough for the source server. */
export async function checkDumpTools(sourceVersionNum: number, environment: string): Promise<string> {
  const server = serverVersion(sourceVersionNum);
  const [dump, restore] = await Promise.all([clientVersion('pg_dump'), clientVersion('pg_restore')]);
  if (!dump || !restore) {
    throw new StepError(`\`db-method: dump\` needs pg_dump and pg_restore, and ${!dump ? 'pg_dump' : 'pg_restore'} was not found on PATH. ${installHint(server.major)}`, NOTHING_WRITTEN);
  }
  const problem = clientTooOld(dump, server, environment) ?? clientTooOld(restore, server, environment)?.replace(/^pg_dump/, 'pg_restore');
  if (problem) throw new StepError(problem, NOTHING_WRITTEN);
  return `pg_dump ${dump.major}, ${environment}'s server ${server.major}`;
}

function connectionArgs(db: DatabaseUrl): string[] {
  return ['--host', db.host, '--port', String(db.port), '--dbname', db.database, ...(db.user ? ['--username', db.user] : []), '--no-password'];
}

/** Passwords and TLS settings go through the environment: never on the command line. */
function connectionEnv(db: DatabaseUrl, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['PGPASSWORD', 'PGSERVICE', 'PGSSLROOTCERT']) delete env[name];
  if (db.password) env.PGPASSWORD = db.password;
  // The same sslmode (libpq's default `prefer` when absent) and CA file as the node connections.
  env.PGSSLMODE = db.sslmode ?? 'prefer';
  if (db.sslrootcert) env.PGSSLROOTCERT = db.sslrootcert;
  env.PGAPPNAME = 'prod-to-staging-sync';
  return env;
}

/**
 * The tables whose data `pg_dump` dumps, as the snapshot sees them: every plain or partitioned
 * table (partitions are counted through their parent) outside the system schemas, except the
 * ones that belong to an extension.
 */
async function dumpedTables(client: pg.Client): Promise<TableName[]> {
  const { rows } = await client.query<TableName>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.deptype = 'e'
                          AND ((d.classid = 'pg_class'::regclass AND d.objid = c.oid)
                            OR (d.classid = 'pg_namespace'::regclass AND d.objid = n.oid)))
      ORDER BY 1, 2`,
  );
  return rows;
}

const tableKey = (table: TableName) => `${table.schema}.${table.name}`;

/** pg_dump / pg_restore print rows (a failing row, a duplicate key): keep names, hide values. */
const toolMessage = (stderr: string) => hideRowValues(stderr);
const dbMessage = (error: unknown) => hideRowValues(describePgError(error));

/**
 * `pg_dump -Fc` of production piped into `pg_restore --single-transaction` in staging. The two
 * processes are joined by an OS pipe (node holds none of the data), so memory stays flat.
 * pg_dump reads a snapshot this run exported and holds open, so the figures recorded for the
 * run (the tables and `count-table`'s rows) are those of the data restored.
 */
export async function refreshByDump(ctx: RunContext): Promise<string> {
  const { source, target, database: options } = ctx.config;
  const started = performance.now();
  let src: Connected;
  try {
    src = await connectDatabase(source.database!, source.name, { readOnly: true });
  } catch (error) {
    throw new StepError(dbMessage(error), NOTHING_WRITTEN);
  }
  let snapshot: { id: string; tables: TableName[]; countTableRows?: number };
  let pipeline: [Finished, Finished];
  try {
    try {
      const { rows } = await src.client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      core.info(`Client tools: ${await checkDumpTools(Number(rows[0]!.v), source.name)}.`);
      // The transaction sits idle while pg_dump reads through its snapshot: production's timeouts must not end it.
      await src.client.query('SET idle_in_transaction_session_timeout = 0');
      await src.client.query('SET statement_timeout = 0');
      await src.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const id = (await src.client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
      const tables = await dumpedTables(src.client);
      const countTableRows = tables.some((t) => tableKey(t) === tableKey(ctx.config.countTable))
        ? await countRows(src.client, ctx.config.countTable)
        : undefined;
      snapshot = { id, tables, countTableRows };
    } catch (error) {
      if (error instanceof StepError) throw error;
      throw new StepError(`reading ${source.name}'s snapshot: ${dbMessage(error)}`, NOTHING_WRITTEN);
    }
    pipeline = await dumpAndRestore(ctx, snapshot.id);
  } finally {
    // Ends the snapshot (it must outlive pg_dump, which has ended by now).
    await src.client.end().catch(() => {});
  }

  const [dumpResult, restoreResult] = pipeline;
  if (restoreResult.code !== 0) {
    const failed = [dumpResult, restoreResult].filter((r) => r.code !== 0);
    const lockHint = /lock timeout/i.test(restoreResult.stderr) ? ` ${target.name}'s app holds a lock (waited \`lock-timeout\`).` : '';
    throw new StepError(
      `${failed.map((r) => `${r.tool} exited with ${r.code}: ${lastLines(toolMessage(r.stderr))}`).join('; ')}.${lockHint}`,
      'unchanged (pg_restore --single-transaction rolled back)',
    );
  }
  const restored = `refreshed from ${source.name} (pg_restore committed)`;
  if (dumpResult.code !== 0) {
    // pg_restore read an archive to its end and committed it, yet pg_dump failed: say both.
    throw new StepError(
      `pg_dump exited with ${dumpResult.code} after pg_restore had committed: ${lastLines(toolMessage(dumpResult.stderr))}.`,
      `${restored}, but pg_dump reported an error, so the data may be incomplete${options.postSyncSql ? '; `post-sync-sql` did not run' : ''}`,
    );
  }
  for (const line of toolMessage(dumpResult.stderr + restoreResult.stderr).split('\n').filter(Boolean)) core.warning(line);

  const notYetMasked = options.postSyncSql ? `${restored}; \`post-sync-sql\` did not run` : restored;
  let tgt: Connected;
  try {
    tgt = await connectDatabase(target.database!, target.name, { readOnly: false });
  } catch (error) {
    throw new StepError(dbMessage(error), notYetMasked);
  }
  try {
    // The restore says nothing about rows: count what staging holds of the restored tables.
    const tables: TableReport[] = [];
    let rows = 0;
    let countTableAfter: number | undefined;
    try {
      for (const table of snapshot.tables) {
        const n = (await countRows(tgt.client, table)) ?? 0;
        rows += n;
        tables.push({ table: tableKey(table), action: 'copy', rowsCopied: n, reason: 'restored from the dump' });
        if (tableKey(table) === tableKey(ctx.config.countTable)) countTableAfter = n;
      }
    } catch (error) {
      throw new StepError(`counting the restored rows in ${target.name}: ${dbMessage(error)}`, notYetMasked);
    }
    const countTableRefreshed = snapshot.tables.some((t) => tableKey(t) === tableKey(ctx.config.countTable));
    ctx.report.database = {
      countTable: tableKey(ctx.config.countTable),
      ...ctx.report.database,
      method: 'dump',
      tablesCopied: tables.length,
      rowsCopied: rows,
      tables,
      foreignKeys: 'pg_restore: schema and constraints recreated from the dump',
      countTableRefreshed,
      // Production's count in the snapshot pg_dump read, and what staging holds of it after the restore.
      ...(countTableRefreshed ? { sourceCount: snapshot.countTableRows, targetCountAfter: countTableAfter } : {}),
    };
    if (options.postSyncSql) await runPostSyncSql(tgt.client, ctx, restored);
    const seconds = Math.round(performance.now() - started) / 1000;
    ctx.report.database.seconds = seconds;
    return `${source.name}'s database restored into ${target.name} (pg_dump | pg_restore) in ${seconds.toFixed(1)} s: ${formatCount(tables.length)} tables, ${formatCount(rows)} rows${options.postSyncSql ? '; `post-sync-sql` committed' : ''}`;
  } finally {
    await tgt.client.end().catch(() => {});
  }
}

/**
 * `post-sync-sql` in a transaction of its own, after the restore has committed: BEGIN and COMMIT
 * are separate queries and the user SQL runs where the server refuses transaction control, so
 * the SQL can neither end the transaction early nor hide the COMMIT (e.g. in a trailing comment).
 */
async function runPostSyncSql(client: pg.Client, ctx: RunContext, restored: string): Promise<void> {
  const { source, target, database: options } = ctx.config;
  const rolledBack = `${restored} before \`post-sync-sql\` ran, but \`post-sync-sql\` failed and was rolled back: ${target.name} holds ${source.name}'s data as restored, unmasked`;
  try {
    await client.query('BEGIN');
    await runUserSql(client, options.postSyncSql);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    const why = error instanceof UserSqlError ? error.message.replace(/\.$/, '') : dbMessage(error);
    throw new StepError(`\`post-sync-sql\` failed after the restore: ${why}.`, rolledBack);
  }
  try {
    await client.query('COMMIT');
  } catch (error) {
    // A server's answer (it has a SQLSTATE) means the COMMIT did not happen; a dropped connection leaves it unknown.
    const answered = typeof (error as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code);
    throw new StepError(
      `\`post-sync-sql\`'s COMMIT failed: ${dbMessage(error)}.`,
      answered ? rolledBack : `${restored}; whether \`post-sync-sql\` was committed is unknown (the connection dropped during COMMIT): check ${target.name}`,
    );
  }
}

/** Runs the two tools joined by a pipe; pg_dump reads the exported snapshot `snapshotId`. */
async function dumpAndRestore(ctx: RunContext, snapshotId: string): Promise<[Finished, Finished]> {
  const { source, target, database: options } = ctx.config;
  const restoreArgs = ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', ...connectionArgs(target.database!)];
  const dumpArgs = ['--format=custom', `--snapshot=${snapshotId}`, ...connectionArgs(source.database!)];
  core.info(`pg_dump ${dumpArgs.join(' ')} | pg_restore ${restoreArgs.join(' ')}`);
  const restore = spawn('pg_restore', restoreArgs, {
    env: connectionEnv(target.database!, { PGOPTIONS: `-c lock_timeout=${Math.round(options.lockTimeoutMs)}` }),
    stdio: ['pipe', 'inherit', 'pipe'],
  });
  const dump = spawn('pg_dump', dumpArgs, { env: connectionEnv(source.database!), stdio: ['ignore', restore.stdin, 'pipe'] });
  // The pipe now belongs to the two children; our end would keep pg_restore waiting for more input.
  restore.stdin.destroy();
  return Promise.all([finished(dump, 'pg_dump'), finished(restore, 'pg_restore')]);
}

interface Finished {
  tool: string;
  code: number;
  stderr: string;
}

function finished(child: ReturnType<typeof spawn>, tool: string): Promise<Finished> {
  return new Promise((resolve) => {
    let stderr = '';
    let insideCutMessage = false;
    child.stderr?.on('data', (d: Buffer) => {
      let text = d.toString();
      if (insideCutMessage) {
        // Drop the rest of a message whose start was cut off, up to the tool's next message.
        const start = text.indexOf(`\n${tool}:`);
        if (start < 0) return;
        text = text.slice(start + 1);
        insideCutMessage = false;
      }
      stderr += text;
      // Keep the tail only (a failing restore can print a lot), from the start of one of the
      // tool's messages: a cut inside a message could leave a row value without the words that
      // mark it as one, and hideRowValues would miss it.
      if (stderr.length > 16_000) {
        const tail = stderr.slice(-8000);
        const start = tail.indexOf(`\n${tool}:`);
        stderr = start < 0 ? '' : tail.slice(start + 1);
        insideCutMessage = start < 0;
      }
    });
    child.on('error', (error) => resolve({ tool, code: -1, stderr: error.message }));
    child.on('close', (code) => resolve({ tool, code: code ?? -1, stderr }));
  });
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-4).join(' / ') || 'no message';
}
