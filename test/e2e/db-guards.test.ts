import { describe, expect, it } from 'vitest';
import { newStaging, seedProduction, SHARED_TABLES, sharedColumns, stagingState, tableHash } from '../harness/db-fixtures.js';
import { runAction } from '../harness/run-action.js';
import { adminUrl, newDatabase, query } from '../harness/servers.js';

/** Issue 15: PostgreSQL's own schemas, extensions' objects and a second run at once. */

const refresh = (production: string, staging: string, inputs: Record<string, string> = {}) =>
  runAction({ mode: 'db-only', confirm: 'staging', 'source-database-url': production, 'target-database-url': staging, ...inputs });

/** Every catalog's storage file: a rewritten or truncated catalog gets a new one. */
const catalogFiles = (url: string) =>
  query(url, `SELECT c.relname, c.relfilenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname IN ('pg_catalog', 'information_schema') AND c.relkind = 'r' ORDER BY 1`);

describe("PostgreSQL's own schemas", () => {
  it('are refused as inputs, all at once, before anything connects; the catalogs are untouched', async () => {
    const production = await newDatabase('prod');
    await seedProduction(production);
    const staging = await newStaging();
    const [files, before] = [await catalogFiles(staging), await stagingState(staging)];
    const result = await refresh(production, staging, {
      schemas: 'public\npg_catalog\ninformation_schema',
      tables: 'pg_catalog.pg_authid',
      'exclude-tables': 'pg_toast.*',
      'count-table': 'pg_catalog.pg_authid',
    });
    expect(result.exitCode, result.log).toBe(1);
    expect(result.visibleLog).toContain('5 input problem(s); nothing was changed');
    for (const named of ['`pg_catalog`', '`information_schema`', '`pg_catalog.pg_authid`', '`pg_toast.*`']) {
      expect(result.visibleLog).toContain(`names ${named}, in one of PostgreSQL's own schemas`);
    }
    expect(await catalogFiles(staging)).toEqual(files);
    expect(await stagingState(staging)).toEqual(before);
  });
});

describe("an extension's tables", () => {
  it('are left as staging has them, and naming one in `tables` is refused before anything is written', async () => {
    const schema = `CREATE TABLE spatial_ref_sys (srid int PRIMARY KEY, name text); CREATE TABLE places (id int PRIMARY KEY, srid int);
                    ALTER EXTENSION plpgsql ADD TABLE spatial_ref_sys;`;
    const [production, staging] = await Promise.all([newDatabase('prod'), newDatabase('staging')]);
    await query(production, `${schema} INSERT INTO spatial_ref_sys VALUES (4326, 'prod'); INSERT INTO places VALUES (1, 4326);`);
    await query(staging, `${schema} INSERT INTO spatial_ref_sys VALUES (3857, 'staging');`);

    const result = await refresh(production, staging);
    expect(result.exitCode, result.log).toBe(0);
    expect(result.summary).toMatch(/`public.spatial_ref_sys` \| left as is \|.*belongs to extension `plpgsql`/);
    expect(await query(staging, 'SELECT srid, name FROM spatial_ref_sys')).toEqual([{ srid: 3857, name: 'staging' }]);
    expect(await query(staging, 'SELECT count(*)::int AS n FROM places')).toEqual([{ n: 1 }]);

    const before = await stagingState(staging);
    const named = await refresh(production, staging, { tables: 'places\nspatial_ref_sys' });
    expect(named.exitCode, named.log).toBe(1);
    expect(named.visibleLog).toContain('`tables` names `public.spatial_ref_sys`, which belongs to extension `plpgsql`');
    expect(named.summary).toContain('staging is unchanged (nothing was written)');
    expect(await stagingState(staging)).toEqual(before);
  });
});

describe('two refreshes of one staging at once', () => {
  it('one refreshes; the other waits `lock-timeout` before reading staging, then fails saying another refresh is running', async () => {
    const production = await newDatabase('prod');
    await seedProduction(production);
    const staging = await newStaging();
    const first = refresh(production, staging, { 'post-sync-sql': 'SELECT pg_sleep(4);' });
    // The first run is inside its refresh once its post-sync-sql sleeps.
    const db = new URL(staging).pathname.slice(1);
    for (let i = 0; i < 300; i++) {
      const sleeping = await query(adminUrl(), `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(4)%' AND pid <> pg_backend_pid()`, [db]);
      if (sleeping.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const second = await refresh(production, staging, { 'lock-timeout': '1s' });
    expect(second.exitCode, second.log).toBe(1);
    expect(second.visibleLog).toMatch(/another refresh of staging is running \(pid \d+, application `prod-to-staging-sync`, connected since [\d-]+ [\d:]+ UTC\): waited `lock-timeout` \(1 s\)/);
    expect(second.summary).toContain('staging is unchanged');
    const done = await first;
    expect(done.exitCode, done.log).toBe(0);
    for (const table of SHARED_TABLES) {
      const columns = await sharedColumns(production, staging, table);
      expect(await tableHash(staging, table, columns), table).toBe(await tableHash(production, table, columns));
    }
  });
});
