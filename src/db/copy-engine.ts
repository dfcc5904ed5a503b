import * as core from '@actions/core';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import type { TableName } from '../config/config.js';
import type { DatabaseOptions } from '../config/database-options.js';
import { formatBytes, formatCount } from '../report/format.js';
import type { TableReport } from '../report/model.js';
import type { Catalog } from './catalog.js';
import { attempt, ownRows, qualifiedName, quoteIdent } from './connect.js';
import { CopyMeter } from './copy-meter.js';
import { maskExpression } from '../masking/rules.js';
import { planFromServers, planProblemsMessage } from './read-plan.js';
import { COMMIT_UNKNOWN, RefreshError, ROLLED_BACK } from './refresh-error.js';
import { takeRefreshLock } from './refresh-lock.js';
import { restoreTargetValueFormat } from './session.js';
import { runUserSql, UserSqlError } from './user-sql.js';
import type { Names, RefreshPlan, TablePlan } from './refresh-plan.js';

export { RefreshError, ROLLED_BACK } from './refresh-error.js';

export interface CopyEngineInput {
  /** Connected to production; used only for reading. */
  source: pg.Client;
  /** Connected to staging with write access; the whole refresh is one transaction on it. */
  target: pg.Client;
  options: Pick<DatabaseOptions, 'schemas' | 'tables' | 'excludeTables' | 'lockTimeoutMs' | 'postSyncSql'> & Partial<Pick<DatabaseOptions, 'masking'>>;
  names: Names;
  countTable?: TableName;
  log?: (line: string) => void;
  /** Seconds between progress lines while one table is being copied. */
  progressSeconds?: number;
  /**
   * Work of other capabilities inside the refresh transaction, after the load and before
   * `post-sync-sql` and the row-count checks (e.g. re-pointing users at staging's identity pool).
   * A throw rolls the whole refresh back.
   */
  inTransaction?: (target: pg.Client, log: (line: string) => void) => Promise<void>;
}

export interface CopyEngineResult {
  plan: RefreshPlan;
  tables: TableReport[];
  tablesCopied: number;
  rowsCopied: number;
  bytesCopied: number;
  foreignKeys: string;
  sequencesSet: number;
  materializedViews: number;
  /** Whether `countTable` was among the tables replaced; the two figures below exist only then. */
  countTableRefreshed: boolean;
  /** Rows of `countTable` in the production snapshot and in staging after the load. */
  countTableSource?: number;
  countTableAfter?: number;
}

/**
 * Replaces the data of every shared table in `target` with `source`'s, in one target transaction
 * read from one source snapshot. Commits only when every table loaded and every count matches;
 * on any error nothing is committed (the caller closes the connection, which rolls back).
 */
export async function copyDatabase(input: CopyEngineInput): Promise<CopyEngineResult> {
  const dropped = watchConnections(input);
  try {
    return await refreshInOneTransaction(input);
  } catch (error) {
    const side = await dropped();
    if (!side) throw error;
    const message = error instanceof RefreshError ? error.message : describePgError(error);
    throw new RefreshError(`the connection to ${side}'s database dropped (${message.replace(/\.$/, '')})`, error instanceof RefreshError ? error.targetState : ROLLED_BACK);
  }
}

/**
 * Which side's connection ended on its own, if one did: "terminating connection" or "Connection
 * terminated" alone does not say whose. The socket closes just after the error arrives, so wait a moment.
 */
function watchConnections({ source, target, names }: CopyEngineInput): () => Promise<string | undefined> {
  let side: string | undefined;
  let noticed: () => void = () => {};
  const ended = new Promise<void>((resolve) => (noticed = resolve));
  source.once('end', () => ((side ??= names.source), noticed()));
  target.once('end', () => ((side ??= names.target), noticed()));
  return async () => {
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 250))]);
    return side;
  };
}

async function refreshInOneTransaction(input: CopyEngineInput): Promise<CopyEngineResult> {
  const { target, options, names } = input;
  const log = input.log ?? ((line: string) => core.info(line));
  const releaseLock = await takeRefreshLock(target, names, options.lockTimeoutMs);
  try {
    return await refreshLocked(input, log);
  } finally {
    await releaseLock();
  }
}

async function refreshLocked(input: CopyEngineInput, log: (line: string) => void): Promise<CopyEngineResult> {
  const { source, target, options, names } = input;
  // One snapshot for every table: the copy is of one moment of production.
  const { plan, problems, targetCatalog } = await planFromServers(source, target, options, names);
  if (problems.length > 0) {
    throw new RefreshError(planProblemsMessage(names, problems));
  }
  const load = plan.loadOrder;

  // Locks first, with the lock timeout: a busy app makes the run fail, not hang.
  await lockTables(target, load.map((t) => ({ key: t.key, sql: qualifiedName(t.target!) })), names, options.lockTimeoutMs);

  const foreignKeys = await keepForeignKeysOutOfTheWay(target, plan, names, log);

  const indexes = await dropSecondaryIndexes(target, load, log);

  if (load.length > 0) {
    const list = load.map((t) => ownRows(t.target!)).join(', ');
    await target.query(`TRUNCATE ${list}`);
  }

  const results: TableReport[] = [];
  const expected = new Map<string, () => number>();
  const progressMs = (input.progressSeconds ?? 5) * 1000;
  for (const table of load) {
    const result = await copyTable(source, target, names, table, progressMs, log);
    results.push(result.report);
    expected.set(table.key, result.sourceRows);
  }

  // The last COPY's row count arrives with the server's final message: wait for it. Then read the
  // rest the snapshot is needed for and let it go, before the staging-only work that may take long.
  await source.query('SELECT 1');
  const sourceSequences = await readSourceSequences(source, load);
  await source.query('COMMIT');

  await rebuildIndexes(target, indexes, log);
  await foreignKeys.restore();
  if (foreignKeys.unchecked) await checkForeignKeys(target, targetCatalog, load, names, log);
  const sequences = await sequencePositions(target, load, sourceSequences);
  const lateSequences = await restartSequences(target, sequences);

  await restoreTargetValueFormat(target);
  if (input.inTransaction) await input.inTransaction(target, log);
  if (options.postSyncSql) {
    await run('`post-sync-sql` failed', () => runUserSql(target, options.postSyncSql));
    log('Ran `post-sync-sql`.');
  }

  // After post-sync-sql, so views built on masked columns show masked values.
  const viewsRefreshed = await refreshMaterializedViews(target, targetCatalog.materializedViews, plan, names, options.lockTimeoutMs, log);

  // Validation inside the transaction: a mismatch rolls everything back.
  let rowsCopied = 0;
  const rowsAfter = new Map<string, number>();
  const mismatches: string[] = [];
  for (const report of results) {
    const table = load.find((t) => t.key === report.table)!;
    const { rows } = await target.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${ownRows(table.target!)}`);
    const have = Number(rows[0]!.n);
    const want = expected.get(table.key)!();
    report.sourceRows = want;
    rowsAfter.set(table.key, have);
    if (have !== want) mismatches.push(`\`${table.key}\`: ${names.source} had ${formatCount(want)} rows, ${names.target} now holds ${formatCount(have)}`);
    rowsCopied += report.rowsCopied ?? 0;
  }
  if (mismatches.length > 0) {
    throw new RefreshError(
      `row counts differ after the load${options.postSyncSql ? ' and `post-sync-sql`' : ''}: ${mismatches.join('; ')}.`,
    );
  }

  const countKey = input.countTable ? `${input.countTable.schema}.${input.countTable.name}` : undefined;
  const countReport = results.find((r) => r.table === countKey);

  // Deferred keys are checked now, so the commit has nothing left to refuse after the setval below.
  await run('checking deferred foreign keys', () => target.query('SET CONSTRAINTS ALL IMMEDIATE'));
  await setvalSequences(target, lateSequences);
  try {
    await target.query('COMMIT');
  } catch (error) {
    // An answer from the server means it refused (rolled back); no answer means nobody knows.
    const refused = (error as { code?: string }).code !== undefined;
    throw new RefreshError(`commit: ${describePgError(error)}.`, refused ? ROLLED_BACK : COMMIT_UNKNOWN);
  }

  const bytesCopied = results.reduce((sum, r) => sum + (r.bytes ?? 0), 0);
  const tables: TableReport[] = plan.tables.map((t) => {
    const done = results.find((r) => r.table === t.key);
    return done ?? { table: t.key, action: t.action, reason: t.reason, ...(t.columnDifferences.length ? { columnDifferences: t.columnDifferences } : {}) };
  });
  return {
    plan,
    tables,
    tablesCopied: results.length,
    rowsCopied,
    bytesCopied,
    foreignKeys: foreignKeys.how,
    sequencesSet: sequences.length,
    materializedViews: viewsRefreshed,
    countTableRefreshed: countReport !== undefined,
    ...(countReport ? { countTableSource: countReport.sourceRows, countTableAfter: rowsAfter.get(countReport.table) } : {}),
  };
}

async function refreshMaterializedViews(
  target: pg.Client,
  views: { key: string; sql: string }[],
  plan: RefreshPlan,
  names: Names,
  lockTimeoutMs: number,
  log: (line: string) => void,
): Promise<number> {
  let refreshed = 0;
  for (const { key: view, sql: viewSql } of views) {
    const outcome = await attempt(target, () => target.query(`REFRESH MATERIALIZED VIEW ${viewSql}`));
    if (outcome.ok) {
      refreshed++;
      continue;
    }
    const code = (outcome.error as { code?: string }).code;
    // LOCK TABLE does not take materialized views, so a reader of one is only met here.
    if (code === '55P03') {
      throw new RefreshError(`${names.target}'s app holds a lock on materialized view \`${view}\`: it could not be refreshed within ${lockTimeoutMs / 1000} s (\`lock-timeout\`). Nothing was changed; retry when ${names.target} is idle, or raise \`lock-timeout\`.`);
    }
    if (code !== '42501') throw new RefreshError(`refreshing materialized view \`${view}\` failed: ${describePgError(outcome.error)}.`);
    // Only the owner may refresh a view: a stale view is worth a warning, not a failed refresh.
    const warning = `materialized view \`${view}\` was not refreshed (${describePgError(outcome.error)}): it still shows ${names.target}'s old data; refresh it as its owner.`;
    plan.warnings.push(warning);
    log(`warning: ${warning}`);
  }
  if (refreshed > 0) log(`Refreshed ${refreshed} materialized view(s).`);
  return refreshed;
}

/**
 * With triggers off for the load, no foreign key was checked: a child refreshed while its parent
 * was not (or a key production does not have) could point at nothing while the constraint stays
 * marked valid. Every key touching a refreshed table is checked here, before the commit.
 */
async function checkForeignKeys(target: pg.Client, catalog: Catalog, load: TablePlan[], names: Names, log: (line: string) => void): Promise<void> {
  const loaded = new Set(load.map((t) => t.key));
  const keys = catalog.foreignKeys.filter((fk) => loaded.has(fk.child) || loaded.has(fk.parent));
  if (keys.length === 0) return;
  const started = performance.now();
  const broken: string[] = [];
  for (const fk of keys) {
    const child = catalog.tables.get(fk.child);
    const parent = catalog.tables.get(fk.parent);
    if (!child || !parent || !fk.childColumns?.length) continue;
    const childCols = fk.childColumns.map((c) => `c.${quoteIdent(c)}`);
    const matches = fk.childColumns.map((c, i) => `p.${quoteIdent(fk.parentColumns![i]!)} = c.${quoteIdent(c)}`).join(' AND ');
    const complete = childCols.map((c) => `${c} IS NOT NULL`).join(' AND ');
    const missing = `(${complete} AND NOT EXISTS (SELECT 1 FROM ${ownRows(parent)} p WHERE ${matches}))`;
    const partlyNull = fk.matchFull && childCols.length > 1 ? ` OR (num_nulls(${childCols.join(', ')}) BETWEEN 1 AND ${childCols.length - 1})` : '';
    const { rows } = await run(`checking foreign key \`${fk.name}\``, () =>
      target.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${ownRows(child)} c WHERE ${missing}${partlyNull}`),
    );
    const n = Number(rows[0]!.n);
    if (n > 0) {
      const why = loaded.has(fk.parent) ? '' : ` (\`${fk.parent}\` was not refreshed)`;
      broken.push(`foreign key \`${fk.name}\`: ${formatCount(n)} row(s) of \`${fk.child}\` reference rows \`${fk.parent}\` does not hold${why}`);
    }
  }
  if (broken.length > 0) {
    throw new RefreshError(
      `${names.target}'s foreign keys would be broken by the refresh: ${broken.join('; ')}. Refresh the referenced table too (\`tables\`/\`exclude-tables\`), or fix the data in ${names.source}.`,
    );
  }
  log(`Checked ${keys.length} foreign key(s) in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
}

/**
 * Maintaining a secondary index row by row during a load costs more than building it once from
 * sorted data afterwards (what pg_restore does), so plain secondary indexes are dropped inside
 * the transaction and rebuilt from their own definitions after the load. Indexes backing keys
 * stay. When staging's role does not own the tables, the indexes simply stay.
 */
async function dropSecondaryIndexes(target: pg.Client, load: TablePlan[], log: (line: string) => void): Promise<{ name: string; definition: string }[]> {
  const indexes = load.flatMap((t) => t.target!.rebuildableIndexes);
  if (indexes.length === 0) return [];
  const outcome = await attempt(target, () => target.query(`DROP INDEX ${indexes.map((i) => i.name).join(', ')}`));
  if (outcome.ok) return indexes;
  log(`Secondary indexes stay during the load (${(outcome.error as Error).message}).`);
  return [];
}

async function rebuildIndexes(target: pg.Client, indexes: { name: string; definition: string }[], log: (line: string) => void): Promise<void> {
  if (indexes.length === 0) return;
  const started = performance.now();
  for (const index of indexes) {
    await run(`rebuilding index ${index.name}`, () => target.query(index.definition));
  }
  log(`Rebuilt ${indexes.length} secondary index(es) after the load in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
}

/** What gets locked: `key` as the report names it, `sql` quoted for statements. */
interface Lockable {
  key: string;
  sql: string;
}

async function lockTables(target: pg.Client, relations: Lockable[], names: Names, lockTimeoutMs: number): Promise<void> {
  for (const relation of relations) {
    // One savepoint per lock: a failed attempt can be inspected (who holds it?) without losing the others.
    const outcome = await attempt(target, () => target.query(`LOCK TABLE ${relation.sql} IN ACCESS EXCLUSIVE MODE`));
    if (outcome.ok) continue;
    if ((outcome.error as { code?: string }).code !== '55P03') throw outcome.error;
    const holders = await lockHolders(target, relation);
    throw new RefreshError(
      `${names.target}'s app holds a lock on \`${relation.key}\`: it could not be locked within ${lockTimeoutMs / 1000} s (\`lock-timeout\`)` +
        `${holders ? `; held by ${holders}` : ''}. Nothing was changed. Retry when ${names.target} is idle (or stop its workers), or raise \`lock-timeout\`.`,
    );
  }
}

async function lockHolders(target: pg.Client, relation: Lockable): Promise<string> {
  try {
    const { rows } = await target.query<{ pid: number; app: string; usename: string; state: string; seconds: number }>(
      `SELECT DISTINCT a.pid, coalesce(nullif(a.application_name, ''), 'unnamed') AS app, a.usename, coalesce(a.state, '?') AS state,
              round(extract(epoch FROM now() - coalesce(a.xact_start, a.backend_start)))::int AS seconds
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.relation = $1::regclass AND l.granted AND l.pid <> pg_backend_pid()
        ORDER BY a.pid`,
      [relation.sql],
    );
    return rows.map((r) => `pid ${r.pid} (application \`${r.app}\`, user ${r.usename}, ${r.state} for ${r.seconds} s)`).join(', ');
  } catch {
    return '';
  }
}

/**
 * Foreign keys must not make the load order matter. With `session_replication_role = replica`
 * (superusers, or roles granted SET on it) triggers — foreign-key checks included — do not fire
 * while loading; production's snapshot is consistent, so nothing is lost. Otherwise tables load
 * parents first, deferrable keys wait for the commit, and user triggers are switched off for the
 * load (so they cannot rewrite production's values).
 */
async function keepForeignKeysOutOfTheWay(
  target: pg.Client,
  plan: RefreshPlan,
  names: Names,
  log: (line: string) => void,
): Promise<{ how: string; restore: () => Promise<void>; unchecked: boolean }> {
  const replica = await attempt(target, () => target.query('SET LOCAL session_replication_role = replica'));
  if (replica.ok) {
    const how = 'triggers off for the load (session_replication_role = replica), keys checked before the commit: load order does not matter';
    log(`Foreign keys: ${how}.`);
    // Back on before anything else writes (post-sync-sql): its changes fire triggers and keys.
    return { how, restore: async () => void (await target.query('SET LOCAL session_replication_role = origin')), unchecked: true };
  }
  log(`Foreign keys: cannot set session_replication_role (${(replica.error as Error).message}); loading in dependency order instead.`);
  if (plan.cycle) {
    throw new RefreshError(
      `the tables ${plan.cycle.map((k) => `\`${k}\``).join(', ')} reference each other through foreign keys that are not DEFERRABLE, and ${names.target}'s role may not set session_replication_role, so no load order works. Make one of those keys DEFERRABLE, or run with a role allowed to set session_replication_role (e.g. GRANT SET ON PARAMETER session_replication_role TO <role> on PostgreSQL 15+).`,
    );
  }
  await target.query('SET CONSTRAINTS ALL DEFERRED');
  const switchedOff: { table: TablePlan; trigger: string }[] = [];
  const stillOn: string[] = [];
  for (const table of plan.loadOrder) {
    for (const trigger of table.target!.userTriggers) {
      const outcome = await attempt(target, () => target.query(`ALTER TABLE ${qualifiedName(table.target!)} DISABLE TRIGGER ${quoteIdent(trigger)}`));
      // Only the table's owner may switch a trigger off; then it fires, and the log says so.
      if (outcome.ok) switchedOff.push({ table, trigger });
      else stillOn.push(`\`${trigger}\` on \`${table.key}\``);
    }
  }
  if (stillOn.length > 0) {
    const warning = `${names.target}'s role does not own the table(s), so user trigger(s) ${stillOn.join(', ')} fired during the load and may have changed ${names.source}'s values.`;
    plan.warnings.push(warning);
    log(`warning: ${warning}`);
  }
  const how = `dependency order (parents first; deferrable keys checked at commit${switchedOff.length ? `; ${switchedOff.length} user trigger(s) off during the load` : ''})`;
  log(`Foreign keys: ${how}: ${plan.loadOrder.map((t) => t.key).join(' → ') || 'no tables'}.`);
  // Switched back on before the commit, inside the same transaction.
  const restore = async () => {
    for (const { table, trigger } of switchedOff) {
      await target.query(`ALTER TABLE ${qualifiedName(table.target!)} ENABLE TRIGGER ${quoteIdent(trigger)}`);
    }
  };
  return { how, restore, unchecked: false };
}

async function copyTable(
  source: pg.Client,
  target: pg.Client,
  names: Names,
  table: TablePlan,
  progressMs: number,
  log: (line: string) => void,
): Promise<{ report: TableReport; sourceRows: () => number }> {
  const columns = table.columns.map(quoteIdent).join(', ');
  const format = table.format === 'binary' ? ' (FORMAT binary)' : '';
  const from = table.source!;
  const select = `SELECT ${selectList(table)} FROM ${ownRows(from)}`;
  const started = performance.now();
  const meter = new CopyMeter(table.format);
  const timer = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    log(`  ${table.key}: ${formatCount(meter.rows)} rows, ${formatBytes(meter.bytes)} so far (${formatBytes(meter.bytes / seconds)}/s)`);
  }, progressMs);
  let reading: ReturnType<typeof copyTo> | undefined;
  let writing: ReturnType<typeof copyFrom> | undefined;
  try {
    if (table.columns.length === 0) {
      // Nothing to carry but the rows themselves: insert one default row per production row.
      const { rows } = await source.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${ownRows(from)}`);
      const n = Number(rows[0]!.n);
      await target.query(`INSERT INTO ${qualifiedName(table.target!)} SELECT FROM generate_series(1, $1)`, [n]);
      return { report: tableReport(table, n, 0, started), sourceRows: () => n };
    }
    reading = source.query(copyTo(`COPY (${select}) TO STDOUT${format}`));
    writing = target.query(copyFrom(`COPY ${qualifiedName(table.target!)} (${columns}) FROM STDIN${format}`));
    await pipeline(reading, meter, writing);
  } catch (error) {
    // Staging's tables are locked by now, so a lock wait here is production's (e.g. a migration).
    const lockHint = (error as { code?: string }).code === '55P03' ? ` (another session holds a lock on ${names.source}'s \`${table.key}\`, e.g. a running migration; retry later or raise \`lock-timeout\`)` : '';
    throw new RefreshError(`copying \`${table.key}\` failed: ${describePgError(error)}${lockHint}.`);
  } finally {
    clearInterval(timer);
  }
  const rows = writing.rowCount;
  const seconds = (performance.now() - started) / 1000;
  if (seconds >= progressMs / 1000) log(`  ${table.key}: done, ${formatCount(rows)} rows, ${formatBytes(meter.bytes)} in ${seconds.toFixed(1)} s`);
  const done = reading;
  return { report: tableReport(table, rows, meter.bytes, started), sourceRows: () => done.rowCount };
}

/** The copied columns, masked ones replaced by their rule's expression (of production's type, so COPY's format holds). */
function selectList(table: TablePlan): string {
  return table.columns
    .map((name) => {
      const rule = table.masks.find((m) => m.column === name);
      if (!rule || rule.rule === 'keep') return quoteIdent(name);
      const type = table.source!.columns.find((c) => c.name === name)!.type;
      return `(${maskExpression(rule, quoteIdent(name))})::${type} AS ${quoteIdent(name)}`;
    })
    .join(', ');
}

function tableReport(table: TablePlan, rows: number, bytes: number, started: number): TableReport {
  return {
    table: table.key,
    action: 'copy',
    rowsCopied: rows,
    bytes,
    seconds: Math.round(performance.now() - started) / 1000,
    format: table.format,
    ...(table.columnDifferences.length ? { columnDifferences: table.columnDifferences } : {}),
    ...(table.masks.length ? { masked: table.masks.map((m) => `\`${m.column}\`: ${m.rule}`) } : {}),
  };
}

interface SequencePosition {
  table: string;
  sequence: string;
  value: bigint;
  called: boolean;
}

/** Production's position of each refreshed table's serial and identity sequences, by target sequence. */
async function readSourceSequences(source: pg.Client, load: TablePlan[]): Promise<Map<string, { value: bigint; called: boolean }>> {
  const positions = new Map<string, { value: bigint; called: boolean }>();
  for (const table of load) {
    for (const [column, sequence] of table.target!.sequences) {
      const sourceSequence = table.source!.sequences.get(column);
      if (!sourceSequence) continue;
      const { rows } = await source.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${sourceSequence}`);
      positions.set(sequence, { value: BigInt(rows[0]!.last_value), called: rows[0]!.is_called });
    }
  }
  return positions;
}

/**
 * Serial and identity sequences end at production's value — and never below the column's
 * maximum, so the next row inserted in staging gets a fresh id.
 */
async function sequencePositions(target: pg.Client, load: TablePlan[], source: Map<string, { value: bigint; called: boolean }>): Promise<SequencePosition[]> {
  const positions: SequencePosition[] = [];
  for (const table of load) {
    for (const [column, sequence] of table.target!.sequences) {
      let value = source.get(sequence)?.value;
      let called = source.get(sequence)?.called ?? true;
      const { rows } = await target.query<{ max: string | null }>(`SELECT max(${quoteIdent(column)})::text AS max FROM ${qualifiedName(table.target!)}`);
      const max = rows[0]!.max === null ? undefined : BigInt(rows[0]!.max);
      if (max !== undefined && (value === undefined || max > value || (max === value && !called))) {
        value = max;
        called = true;
      }
      if (value !== undefined) positions.push({ table: table.key, sequence, value, called });
    }
  }
  return positions;
}

/**
 * `setval` is not transactional (a rollback would not undo it); `ALTER SEQUENCE … RESTART` is,
 * since it writes a new copy of the sequence. Returns the sequences it could not alter (the role
 * does not own them): those get `setval` as the very last step before the commit.
 */
async function restartSequences(target: pg.Client, positions: SequencePosition[]): Promise<SequencePosition[]> {
  const notOwned: SequencePosition[] = [];
  for (const p of positions) {
    const outcome = await attempt(target, () => target.query(`ALTER SEQUENCE ${p.sequence} RESTART WITH ${p.called ? p.value + 1n : p.value}`));
    if (!outcome.ok) notOwned.push(p);
  }
  return notOwned;
}

async function setvalSequences(target: pg.Client, positions: SequencePosition[]): Promise<void> {
  for (const p of positions) {
    await run(`\`${p.table}\`: setting sequence ${p.sequence}`, () =>
      target.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [p.sequence, p.value.toString(), p.called]),
    );
  }
}

async function run<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof RefreshError) throw error;
    if (error instanceof UserSqlError) throw new RefreshError(error.message);
    throw new RefreshError(`${what}: ${describePgError(error)}.`);
  }
}

/**
 * PostgreSQL's message with the parts that locate the problem (table, column, constraint, COPY
 * line) and never a value from the data: DETAIL ("Failing row contains …", "Key (…)=(…)") is left
 * out, quoted values in data errors are hidden, and a COPY context keeps its line number only.
 */
export function describePgError(error: unknown): string {
  const e = error as { message?: string; code?: string; table?: string; column?: string; constraint?: string; where?: string };
  let message = e.message ?? String(error);
  // Class 22 (data exceptions) quote the offending value; P0001 is text a trigger or function composed.
  if (e.code?.startsWith('22')) message = message.replace(/"(?:[^"]|"")*"/g, '(value hidden)').replace(/: [^:]*$/, (tail) => (/value hidden/.test(tail) ? tail : ''));
  if (e.code === 'P0001') message = 'an exception raised by a trigger or function (its text is not shown: it may hold row values)';
  const parts = [message];
  if (e.table && !message.includes(`"${e.table}"`)) parts.push(`table \`${e.table}\``);
  if (e.column && !message.includes(`"${e.column}"`)) parts.push(`column \`${e.column}\``);
  if (e.constraint && !message.includes(e.constraint)) parts.push(`constraint \`${e.constraint}\``);
  const copyLine = /^COPY [^,]+, line \d+(?:, column [^:]+)?/.exec(e.where ?? '');
  if (copyLine) parts.push(`at ${copyLine[0]}`);
  else if (e.where && e.code === 'P0001') parts.push(`in ${e.where.split('\n')[0]}`);
  return parts.join('; ').replace(/\.;/g, ';').replace(/\.$/, '');
}
