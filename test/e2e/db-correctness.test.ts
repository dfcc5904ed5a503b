import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { newStaging, seedProduction, slowLoadingUrl, stagingState, tableHash } from '../harness/db-fixtures.js';
import { runAction } from '../harness/run-action.js';
import { adminUrl, newDatabase, query, uniqueName } from '../harness/servers.js';

/**
 * Issue 10: no run may say `synced` (or "unchanged") when staging holds something else. Each case
 * drives the built action against real PostgreSQL servers set up the way real teams run them, and
 * reads back what staging holds.
 */

const refresh = (production: string, staging: string, inputs: Record<string, string> = {}) =>
  runAction({ mode: 'db-only', confirm: 'staging', 'source-database-url': production, 'target-database-url': staging, ...inputs });

/** A fresh production/staging pair with the given schema (and each side's rows). */
async function pair(schema: string, productionRows: string, stagingRows = ''): Promise<{ production: string; staging: string }> {
  const [production, staging] = await Promise.all([newDatabase('prod'), newDatabase('staging')]);
  await query(production, schema + productionRows);
  await query(staging, schema + stagingRows);
  return { production, staging };
}

/** A login role that is no superuser, reaching `url`'s database with only what `grants` gives it. */
async function leastPrivilegeUrl(url: string, grants: (role: string) => string, attributes = ''): Promise<string> {
  const role = uniqueName('reader').replace(/-/g, '_');
  await query(adminUrl(), `CREATE ROLE "${role}" LOGIN PASSWORD 'reader-pw' ${attributes}`);
  await query(url, grants(role));
  const u = new URL(url);
  u.username = role;
  u.password = 'reader-pw';
  return u.href;
}

/** Rows of `sql` as text, read in a session with fixed value formats (the databases' defaults differ). */
async function canonicalRows(url: string, sql: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; SET TimeZone = 'UTC'; SET search_path = ''`);
    return (await client.query<{ r: string }>(`SELECT t::text AS r FROM (${sql}) t ORDER BY 1`)).rows.map((row) => row.r);
  } finally {
    await client.end();
  }
}

const PEOPLE = `
  CREATE TABLE people (id serial PRIMARY KEY, owner text NOT NULL, email text NOT NULL);
  CREATE TABLE notes (id serial PRIMARY KEY, body text);
`;
const PEOPLE_ROWS = `
  INSERT INTO people (owner, email) SELECT CASE WHEN g % 3 = 0 THEN 'someone' ELSE 'else' END, 'person' || g || '@example.org' FROM generate_series(1, 30) g;
  INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 5) g;
`;
const STAGING_PEOPLE_ROWS = `INSERT INTO people (owner, email) VALUES ('old', 'old@example.org');`;

describe('row-level security on production (defect 1)', () => {
  let production: string;
  let staging: string;
  let reader: string;

  beforeAll(async () => {
    ({ production, staging } = await pair(PEOPLE, PEOPLE_ROWS, STAGING_PEOPLE_ROWS));
    await query(production, `ALTER TABLE people ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON people FOR SELECT USING (owner = 'someone');`);
    reader = await leastPrivilegeUrl(production, (r) => `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${r}"; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "${r}";`);
  });

  it('a role the policy filters: refused before anything is written, naming the table and the fix', async () => {
    const before = await stagingState(staging);
    const result = await refresh(reader, staging);
    expect(result.exitCode, result.log).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.visibleLog).toContain('is subject to row-level security on `public.people`');
    expect(result.visibleLog).toContain('BYPASSRLS');
    expect(result.summary).toContain('staging is unchanged (nothing was written)');
    expect(await stagingState(staging)).toEqual(before);
  });

  it('a dry run names the same problem', async () => {
    const result = await refresh(reader, staging, { 'dry-run': 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.summary).toContain('A real run would stop before changing anything');
    expect(result.summary).toContain('row-level security on `public.people`');
  });

  it('the same role with BYPASSRLS copies every row', async () => {
    const bypass = await leastPrivilegeUrl(production, (r) => `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${r}"; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "${r}";`, 'BYPASSRLS');
    const result = await refresh(bypass, staging);
    expect(result.exitCode, result.log).toBe(0);
    expect(await tableHash(staging, 'people')).toBe(await tableHash(production, 'people'));
    expect(await query(staging, 'SELECT count(*)::int AS n FROM people')).toEqual([{ n: 30 }]);
  });
});

describe('a production role without SELECT on sequences', () => {
  it('is refused before anything is written, saying what to grant', async () => {
    const { production, staging } = await pair(PEOPLE, PEOPLE_ROWS, STAGING_PEOPLE_ROWS);
    const reader = await leastPrivilegeUrl(production, (r) => `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${r}";`);
    const before = await stagingState(staging);
    const result = await refresh(reader, staging);
    expect(result.exitCode, result.log).toBe(1);
    expect(result.visibleLog).toMatch(/may not read sequence `public\.people_id_seq`/);
    expect(result.visibleLog).toContain('GRANT SELECT ON SEQUENCE public.people_id_seq');
    expect(await stagingState(staging)).toEqual(before);
  });
});

describe('post-sync-sql (defects 3 and 4)', () => {
  let production: string;

  beforeAll(async () => {
    production = await newDatabase('prod');
    await seedProduction(production);
  });

  it.each([
    ['COMMIT after a comment', `UPDATE authors SET name = 'x'; -- mask\nCOMMIT; UPDATE authors SET name = 'y'`],
    ['a commented COMMIT', `UPDATE authors SET name = 'x'; /* x */ COMMIT`],
    ['END', `UPDATE authors SET name = 'x'; END`],
    ['END WORK', `UPDATE authors SET name = 'x'; END WORK`],
    ['END TRANSACTION', `UPDATE authors SET name = 'x'; END TRANSACTION`],
    ['ROLLBACK AND CHAIN', `ROLLBACK AND CHAIN; UPDATE authors SET name = 'x'`],
    ['PREPARE TRANSACTION', `PREPARE TRANSACTION 'p2s'`],
    ['BEGIN', `begin; UPDATE authors SET name = 'x'`],
  ])('%s is refused by the server and staging is exactly as it was', async (_, sql) => {
    const staging = await newStaging();
    const before = await stagingState(staging);
    const result = await refresh(production, staging, { 'post-sync-sql': sql });
    expect(result.exitCode, result.log).toBe(1);
    expect(result.visibleLog).toContain('contains a transaction control statement');
    expect(result.summary).toContain('staging is unchanged (the transaction was rolled back)');
    expect(await stagingState(staging)).toEqual(before);
    expect(await query(adminUrl(), 'SELECT count(*)::int AS n FROM pg_prepared_xacts')).toEqual([{ n: 0 }]);
  });

  it('SQL ending in a comment, a DO block or a string holding COMMIT runs, inside the refresh', async () => {
    const staging = await newStaging();
    const sql = `DO $$ BEGIN UPDATE authors SET name = 'Masked ' || id; END $$;\nUPDATE books SET title = 'done; COMMIT'; -- mask names`;
    const result = await refresh(production, staging, { 'post-sync-sql': sql });
    expect(result.exitCode, result.log).toBe(0);
    expect(await query(staging, `SELECT count(*)::int AS n FROM authors WHERE name NOT LIKE 'Masked %'`)).toEqual([{ n: 0 }]);
    expect(await query(staging, `SELECT DISTINCT title FROM books`)).toEqual([{ title: 'done; COMMIT' }]);
  });

  it('with triggers off for the load (superuser), post-sync-sql fires triggers and foreign keys again', async () => {
    const staging = await newStaging();
    // A trigger-maintained copy of a personal field: masking must reach it.
    await query(
      staging,
      `ALTER TABLE authors ADD COLUMN name_search text;
       CREATE FUNCTION authors_search() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name_search := lower(NEW.name); RETURN NEW; END $$;
       CREATE TRIGGER authors_search BEFORE INSERT OR UPDATE ON authors FOR EACH ROW EXECUTE FUNCTION authors_search();`,
    );
    const result = await refresh(production, staging, { 'post-sync-sql': `UPDATE authors SET name = 'Masked ' || id;` });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('session_replication_role = replica');
    expect(await query(staging, `SELECT count(*)::int AS n FROM authors WHERE name_search IS DISTINCT FROM lower('Masked ' || id)`)).toEqual([{ n: 0 }]);

    const before = await stagingState(staging);
    const broken = await refresh(production, staging, { 'post-sync-sql': `UPDATE books SET author_id = 99999 WHERE id = 1;` });
    expect(broken.exitCode, broken.log).toBe(1);
    expect(broken.visibleLog).toContain('books_author_id_fkey');
    expect(broken.summary).toContain('staging is unchanged (the transaction was rolled back)');
    expect(await stagingState(staging)).toEqual(before);
  });
});

describe('hostile server settings (defects 5 and 11)', () => {
  const schema = `
    CREATE TABLE moments (id int PRIMARY KEY, day date, at timestamp, at_tz timestamptz, span interval, ratio double precision, small real, n integer);
  `;
  const rows = `
    INSERT INTO moments VALUES
      (1, '2024-03-04', '2024-03-04 05:06:07.123456', '2024-03-04 23:30:00+00', '-1 day +02:00:00', 0.1 + 0.2, 1.1, 1),
      (2, '1999-12-31', '2001-02-03 04:05:06', '1999-12-31 23:59:59.999999-08', '1 mon -3 days -04:05:06.5', 1e-300 / 3, 3.1415927, 2),
      (3, '0044-03-15 BC', 'infinity', '-infinity', '-178000000 years', 'NaN', '-Infinity', 3);
  `;

  it("copies exact values whatever each server's DateStyle, IntervalStyle, extra_float_digits, TimeZone and timeouts", async () => {
    const { production, staging } = await pair(schema, rows);
    // Text COPY is forced by a type difference; the databases' defaults are what a session starts with.
    await query(staging, `ALTER TABLE moments ALTER COLUMN n TYPE bigint`);
    const prodDb = new URL(production).pathname.slice(1);
    const stagingDb = new URL(staging).pathname.slice(1);
    await query(
      adminUrl(),
      `ALTER DATABASE "${prodDb}" SET DateStyle = 'SQL, DMY'; ALTER DATABASE "${prodDb}" SET IntervalStyle = 'sql_standard';
       ALTER DATABASE "${prodDb}" SET extra_float_digits = -3; ALTER DATABASE "${prodDb}" SET TimeZone = 'Asia/Kolkata';
       ALTER DATABASE "${prodDb}" SET idle_in_transaction_session_timeout = '1s'; ALTER DATABASE "${prodDb}" SET statement_timeout = '1s';
       ALTER DATABASE "${stagingDb}" SET DateStyle = 'SQL, MDY'; ALTER DATABASE "${stagingDb}" SET IntervalStyle = 'iso_8601';
       ALTER DATABASE "${stagingDb}" SET TimeZone = 'America/Los_Angeles';`,
    );
    // Staging-only work that takes longer than production's idle timeout: the snapshot must not be needed then.
    const result = await refresh(production, staging, { 'post-sync-sql': 'SELECT pg_sleep(1.5);' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.summary).toMatch(/\| `public.moments` \| replaced \|.*\| text \|/);
    expect(await canonicalRows(staging, 'SELECT * FROM public.moments')).toEqual(await canonicalRows(production, 'SELECT * FROM public.moments'));
  });
});

describe('reg* columns (defect 6)', () => {
  it('arrive as the objects they name, not as raw OIDs', async () => {
    const schema = `CREATE TABLE targets (id int PRIMARY KEY, rel regclass, typ regtype, fn regproc, rels regclass[]);`;
    const [production, staging] = await Promise.all([newDatabase('prod'), newDatabase('staging')]);
    // Objects created in a different order on each side get different OIDs.
    await query(production, `CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TYPE mood AS ENUM ('x'); ${schema}
      INSERT INTO targets VALUES (1, 'b', 'mood', 'now', ARRAY['a', 'b']::regclass[]), (2, 'targets', 'int4', 'pg_backend_pid', ARRAY['targets']::regclass[]);`);
    await query(staging, `CREATE TYPE mood AS ENUM ('x'); CREATE TABLE b (id int); CREATE TABLE spacer (id int); CREATE TABLE a (id int); ${schema}`);
    const result = await refresh(production, staging);
    expect(result.exitCode, result.log).toBe(0);
    const names = 'SELECT id, rel::text, typ::text, fn::text, rels::text FROM public.targets';
    expect(await canonicalRows(staging, names)).toEqual(await canonicalRows(production, names));
    expect(await canonicalRows(staging, names)).toContain('(1,public.b,public.mood,now,"{public.a,public.b}")');
  });
});

describe('foreign keys to a table that is not refreshed (defect 7)', () => {
  it('with triggers off for the load, a broken key fails the run and staging stays as it was', async () => {
    const schema = `CREATE TABLE authors (id int PRIMARY KEY); CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors);`;
    const { production, staging } = await pair(
      schema,
      `INSERT INTO authors SELECT generate_series(1, 30); INSERT INTO books SELECT g, g FROM generate_series(1, 30) g;`,
      `INSERT INTO authors SELECT generate_series(1, 12); INSERT INTO books SELECT g, g FROM generate_series(1, 12) g;`,
    );
    const before = await stagingState(staging);
    const result = await refresh(production, staging, { 'exclude-tables': 'public.authors' });
    expect(result.exitCode, result.log).toBe(1);
    expect(result.log).toContain('session_replication_role = replica');
    expect(result.visibleLog).toContain('foreign key `books_author_id_fkey`: 18 row(s) of `public.books` reference rows `public.authors` does not hold (`public.authors` was not refreshed)');
    expect(result.summary).toContain('staging is unchanged (the transaction was rolled back)');
    expect(await stagingState(staging)).toEqual(before);
  });
});

describe('count-table not among the refreshed tables (defect 8)', () => {
  it('reports success, staging keeps its own count, and the outputs say so', async () => {
    const schema = `CREATE TABLE books (id serial PRIMARY KEY, title text); CREATE TABLE notes (id serial PRIMARY KEY, body text);`;
    const { production, staging } = await pair(
      schema,
      `INSERT INTO books (title) SELECT 'b' || g FROM generate_series(1, 9) g; INSERT INTO notes (body) SELECT 'n' || g FROM generate_series(1, 4) g;`,
      `INSERT INTO books (title) SELECT 'old' || g FROM generate_series(1, 3) g;`,
    );
    const result = await refresh(production, staging, { tables: 'public.notes' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('synced');
    expect(result.outputs['books-source']).toBe('9');
    expect(result.outputs['books-target-before']).toBe('3');
    expect(result.outputs['books-target-after']).toBe('3');
    expect(result.summary).toContain('was not among the tables refreshed');
    expect(await query(staging, 'SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 4 }]);
    expect(await query(staging, 'SELECT count(*)::int AS n FROM books')).toEqual([{ n: 3 }]);
  });
});

describe('no row values in messages (defect 10)', () => {
  it("a constraint or type failure names the table and constraint, never production's values", async () => {
    const schema = `CREATE TABLE people (id int PRIMARY KEY, email text, ssn text);`;
    const { production, staging } = await pair(schema, `INSERT INTO people VALUES (1, 'alice@corp.example', '078-05-1120');`);
    await query(staging, `ALTER TABLE people ADD CONSTRAINT people_ssn_check CHECK (ssn NOT LIKE '078%')`);
    const check = await refresh(production, staging);
    expect(check.exitCode, check.log).toBe(1);
    expect(check.visibleLog).toContain('people_ssn_check');
    for (const text of [check.visibleLog, check.summary, JSON.stringify(check.outputs)]) {
      expect(text).not.toContain('078-05-1120');
      expect(text).not.toContain('alice@corp');
    }

    const moods = await pair(`CREATE TYPE mood AS ENUM ('calm'); CREATE TABLE feelings (id int PRIMARY KEY, m mood, who text);`, '');
    await query(moods.production, `ALTER TYPE mood ADD VALUE 'secret-label-42'`);
    await query(moods.production, `INSERT INTO feelings VALUES (1, 'secret-label-42', 'x')`);
    const type = await refresh(moods.production, moods.staging);
    expect(type.exitCode, type.log).toBe(1);
    expect(type.visibleLog).toContain('copying `public.feelings` failed: invalid input value for enum');
    for (const text of [type.visibleLog, type.summary]) expect(text).not.toContain('secret-label-42');
  });
});

describe('a connection dropped mid-refresh (defect 11)', () => {
  /** Waits until a backend of the action matching `where` shows up in `url`'s database, then (unless told not to) terminates it. */
  async function terminateWhen(url: string, where: string, terminate = true): Promise<void> {
    const db = new URL(url).pathname.slice(1);
    for (let i = 0; i < 200; i++) {
      const rows = await query<{ pid: number }>(
        adminUrl(),
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'prod-to-staging-sync' AND ${where}`,
        [db],
      );
      if (rows.length > 0) {
        if (terminate) await query(adminUrl(), 'SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the backend to terminate never showed up');
  }

  const schema = `CREATE TABLE items (id int PRIMARY KEY, body text);`;
  const rows = `INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 2000) g;`;

  it("staging's connection: rolled back, and the message says it was staging's", async () => {
    const { production, staging } = await pair(schema, rows, `INSERT INTO items VALUES (1, 'old');`);
    const before = await stagingState(staging);
    const run = refresh(production, staging, { 'post-sync-sql': 'SELECT pg_sleep(30);' });
    await terminateWhen(staging, `query LIKE '%pg_sleep(30)%'`);
    const result = await run;
    expect(result.exitCode, result.log).toBe(1);
    expect(result.visibleLog).toContain("the connection to staging's database dropped");
    expect(result.summary).toContain('staging is unchanged (the transaction was rolled back)');
    expect(await stagingState(staging)).toEqual(before);
  });

  it("production's connection while staging loads: rolled back, and the message says it was production's", async () => {
    const { production, staging } = await pair(schema, rows, `INSERT INTO items VALUES (1, 'old');`);
    const stagingAsRole = await slowLoadingUrl(staging, 'items');
    const before = await stagingState(staging);
    const run = refresh(production, stagingAsRole);
    await terminateWhen(staging, `query LIKE 'COPY%'`, false);
    // Staging is busy loading: now production's side goes away.
    await terminateWhen(production, `backend_xid IS NULL AND xact_start IS NOT NULL`);
    const result = await run;
    expect(result.exitCode, result.log).toBe(1);
    expect(result.visibleLog).toContain("the connection to production's database dropped");
    expect(result.summary).toContain('staging is unchanged (the transaction was rolled back)');
    expect(await stagingState(staging)).toEqual(before);
  });
});
