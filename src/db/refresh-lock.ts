import type pg from 'pg';
import { NOTHING_WRITTEN, RefreshError } from './refresh-error.js';
import type { Names } from './refresh-plan.js';

/** One advisory lock key for every refresh; advisory locks are per database already. */
const REFRESH_LOCK_KEY = '7062737923041977';

/**
 * Takes the session-level lock that keeps two refreshes of one staging database apart (the
 * workflow's `concurrency` group is the first guard; runs from other workflows or repos are not in
 * it). A second run waits up to `lock-timeout`, then fails saying who holds the lock.
 */
export async function takeRefreshLock(target: pg.Client, names: Names, lockTimeoutMs: number): Promise<() => Promise<void>> {
  await target.query(`SELECT set_config('lock_timeout', $1, false)`, [`${Math.max(1, Math.round(lockTimeoutMs))}ms`]);
  try {
    await target.query(`SELECT pg_advisory_lock(${REFRESH_LOCK_KEY})`);
  } catch (error) {
    if ((error as { code?: string }).code !== '55P03') throw error;
    throw new RefreshError(
      `another refresh of ${names.target} is running${await lockHolder(target)}: waited \`lock-timeout\` (${lockTimeoutMs / 1000} s) for it. Nothing was changed; retry when it has finished.`,
      NOTHING_WRITTEN,
    );
  } finally {
    await target.query('RESET lock_timeout').catch(() => {});
  }
  return async () => {
    await target.query(`SELECT pg_advisory_unlock(${REFRESH_LOCK_KEY})`).catch(() => {});
  };
}

async function lockHolder(target: pg.Client): Promise<string> {
  const key = BigInt(REFRESH_LOCK_KEY);
  try {
    const { rows } = await target.query<{ pid: number; started: string; app: string }>(
      `SELECT a.pid, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') AS started,
              coalesce(nullif(a.application_name, ''), 'unnamed') AS app
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1`,
      [Number(key >> 32n), Number(key & 0xffffffffn)],
    );
    const r = rows[0];
    return r ? ` (pid ${r.pid}, application \`${r.app}\`, connected since ${r.started})` : '';
  } catch {
    return '';
  }
}

/**
 * Before reading staging (inspection, dry run): wait for a refresh under way to end, up to
 * `lock-timeout`, instead of queueing silently behind its table locks.
 */
export async function waitForRunningRefresh(target: pg.Client, names: Names, lockTimeoutMs: number): Promise<void> {
  const release = await takeRefreshLock(target, names, lockTimeoutMs);
  await release();
}
