import * as core from '@actions/core';
import { getExecOutput } from '@actions/exec';
import { spawn } from 'node:child_process';
import type { DatabaseUrl } from '../config/database-url.js';
import type { RunContext } from '../context.js';
import { StepError } from '../plan/runner.js';
import { formatCount } from '../report/format.js';
import type { TableReport } from '../report/model.js';
import { readCatalog } from './catalog.js';
import { connectDatabase, qualifiedName } from './connect.js';
import { describePgError } from './copy-engine.js';

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
    throw new StepError(`\`db-method: dump\` needs pg_dump and pg_restore, and ${!dump ? 'pg_dump' : 'pg_restore'} was not found on PATH. ${installHint(server.major)}`, 'unchanged (nothing was written)');
  }
  const problem = clientTooOld(dump, server, environment) ?? clientTooOld(restore, server, environment)?.replace(/^pg_dump/, 'pg_restore');
  if (problem) throw new StepError(problem, 'unchanged (nothing was written)');
  return `pg_dump ${dump.major}, ${environment}'s server ${server.major}`;
}

function connectionArgs(db: DatabaseUrl): string[] {
  return ['--host', db.host, '--port', String(db.port), '--dbname', db.database, ...(db.user ? ['--username', db.user] : []), '--no-password'];
}

/** Passwords and TLS settings go through the environment: never on the command line. */
function connectionEnv(db: DatabaseUrl, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.PGPASSWORD;
  delete env.PGSERVICE;
  if (db.password) env.PGPASSWORD = db.password;
  env.PGSSLMODE = db.sslmode ?? 'prefer';
  env.PGAPPNAME = 'prod-to-staging-sync';
  return env;
}

/**
 * `pg_dump -Fc` of production piped into `pg_restore --single-transaction` in staging. The two
 * processes are joined by an OS pipe (node holds none of the data), so memory stays flat.
 */
export async function refreshByDump(ctx: RunContext): Promise<string> {
  const { source, target, database: options } = ctx.config;
  const started = performance.now();
  let versionNum: number;
  try {
    const src = await connectDatabase(source.database!, source.name, { readOnly: true });
    try {
      const { rows } = await src.client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      versionNum = Number(rows[0]!.v);
    } finally {
      await src.client.end().catch(() => {});
    }
  } catch (error) {
    throw new StepError(describePgError(error), 'unchanged (nothing was written)');
  }
  core.info(`Client tools: ${await checkDumpTools(versionNum, source.name)}.`);

  const restoreArgs = ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', ...connectionArgs(target.database!)];
  const dumpArgs = ['--format=custom', ...connectionArgs(source.database!)];
  core.info(`pg_dump ${dumpArgs.join(' ')} | pg_restore ${restoreArgs.join(' ')}`);
  const restore = spawn('pg_restore', restoreArgs, {
    env: connectionEnv(target.database!, { PGOPTIONS: `-c lock_timeout=${Math.round(options.lockTimeoutMs)}` }),
    stdio: ['pipe', 'inherit', 'pipe'],
  });
  const dump = spawn('pg_dump', dumpArgs, { env: connectionEnv(source.database!), stdio: ['ignore', restore.stdin, 'pipe'] });
  // The pipe now belongs to the two children; our end would keep pg_restore waiting for more input.
  restore.stdin.destroy();
  const [dumpResult, restoreResult] = await Promise.all([finished(dump, 'pg_dump'), finished(restore, 'pg_restore')]);
  if (dumpResult.code !== 0 || restoreResult.code !== 0) {
    const failed = [dumpResult, restoreResult].filter((r) => r.code !== 0);
    const lockHint = /lock timeout/i.test(restoreResult.stderr) ? ` ${target.name}'s app holds a lock (waited \`lock-timeout\`).` : '';
    throw new StepError(
      `${failed.map((r) => `${r.tool} exited with ${r.code}: ${lastLines(r.stderr)}`).join('; ')}.${lockHint}`,
      'unchanged (pg_restore --single-transaction rolled back)',
    );
  }
  for (const line of (dumpResult.stderr + restoreResult.stderr).split('\n').filter(Boolean)) core.warning(line);

  // The restore says nothing about rows: count what staging now holds.
  const tgt = await connectDatabase(target.database!, target.name, { readOnly: false });
  try {
    if (options.postSyncSql) {
      try {
        await tgt.client.query(`BEGIN; ${options.postSyncSql}; COMMIT`);
      } catch (error) {
        throw new StepError(
          `\`post-sync-sql\` failed after the restore: ${describePgError(error)}.`,
          `refreshed from ${source.name}, but \`post-sync-sql\` did not run (its transaction was rolled back)`,
        );
      }
    }
    const catalog = await readCatalog(tgt.client, options.schemas);
    const tables: TableReport[] = [];
    let rows = 0;
    for (const table of catalog.tables.values()) {
      const res = await tgt.client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualifiedName(table)}`);
      const n = Number(res.rows[0]!.n);
      rows += n;
      tables.push({ table: table.key, action: 'copy', rowsCopied: n, reason: 'restored from the dump' });
    }
    const seconds = Math.round(performance.now() - started) / 1000;
    const countKey = `${ctx.config.countTable.schema}.${ctx.config.countTable.name}`;
    ctx.report.database = {
      countTable: countKey,
      ...ctx.report.database,
      method: 'dump',
      tablesCopied: tables.length,
      rowsCopied: rows,
      seconds,
      tables,
      foreignKeys: 'pg_restore: schema and constraints recreated from the dump',
    };
    return `${source.name}'s database restored into ${target.name} (pg_dump | pg_restore) in ${seconds.toFixed(1)} s: ${formatCount(tables.length)} tables, ${formatCount(rows)} rows in ${options.schemas.join(', ')}`;
  } finally {
    await tgt.client.end().catch(() => {});
  }
}

interface Finished {
  tool: string;
  code: number;
  stderr: string;
}

function finished(child: ReturnType<typeof spawn>, tool: string): Promise<Finished> {
  return new Promise((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      // Keep the tail only: a failing restore can print a lot.
      stderr = (stderr + d.toString()).slice(-8000);
    });
    child.on('error', (error) => resolve({ tool, code: -1, stderr: error.message }));
    child.on('close', (code) => resolve({ tool, code: code ?? -1, stderr }));
  });
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-4).join(' / ') || 'no message';
}
