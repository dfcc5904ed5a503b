import { beforeAll, describe, expect, it } from 'vitest';
import {
  holdLock,
  newOwnerRole,
  newStaging,
  newStagingWithGrantsOnly,
  seedProduction,
  SHARED_TABLES,
  sharedColumns,
  stagingState,
  tableHash,
} from '../harness/db-fixtures.js';
import { runAction, type ActionRun } from '../harness/run-action.js';
import { adminUrl, newDatabase, query } from '../harness/servers.js';

let production: string;

beforeAll(async () => {
  production = await newDatabase('prod');
  await seedProduction(production);
});

const refresh = (staging: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}) =>
  runAction(
    { mode: 'db-only', confirm: 'staging', 'source-database-url': production, 'target-database-url': staging, ...inputs },
    { env },
  );

async function expectSharedTablesEqualProduction(staging: string) {
  for (const table of [...SHARED_TABLES, 'author_stats']) {
    const columns = await sharedColumns(production, staging, table);
    expect(await tableHash(staging, table, columns), table).toBe(await tableHash(production, table, columns));
  }
}

describe('db-method copy (superuser: triggers off for the load)', () => {
  let staging: string;
  let before: Record<string, string>;
  let result: ActionRun;

  beforeAll(async () => {
    staging = await newStaging();
    before = await stagingState(staging);
    result = await refresh(staging);
  });

  it('succeeds and reports tables and rows in the outputs', async () => {
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('synced');
    expect(result.outputs['tables-copied']).toBe('4');
    // 30 authors + 290 books + 500 reviews + 580 images.
    expect(result.outputs['rows-copied']).toBe('1400');
    expect(result.outputs['books-target-before']).toBe('120');
    expect(result.outputs['books-target-after']).toBe('290');
  });

  it("leaves every shared table (and the materialized view) holding exactly production's rows", async () => {
    await expectSharedTablesEqualProduction(staging);
  });

  it('leaves the staging-only table and the migration table as they were, and the extra column at its default', async () => {
    const after = await stagingState(staging);
    expect(after.feature_flags).toBe(before.feature_flags);
    expect(after.alembic_version).toBe(before.alembic_version);
    // Secondary indexes are rebuilt from their own definitions: same set, same definitions.
    expect(after.indexes).toBe(before.indexes);
    expect(after.indexes).toContain('CREATE INDEX books_title_idx ON public.books USING btree (lower(title)) WHERE (price > (0)::numeric)');
    expect(await query(staging, 'SELECT version_num FROM alembic_version')).toEqual([{ version_num: '588327b' }]);
    expect(await query(staging, `SELECT DISTINCT staging_note FROM books`)).toEqual([{ staging_note: 'staging-default' }]);
    expect(await query(staging, `SELECT to_regclass('audit_log') AS t`)).toEqual([{ t: null }]);
  });

  it("gives rows inserted in staging afterwards fresh ids above production's", async () => {
    const [book] = await query<{ id: number }>(staging, `INSERT INTO books (uuid, title, author_id) VALUES (gen_random_uuid(), 'New on staging', 1) RETURNING id`);
    // Production's sequence stood at 300 (rows 291-300 were deleted): never reuse those ids.
    expect(book!.id).toBe(301);
    const [review] = await query<{ id: string }>(staging, `INSERT INTO reviews (book_id, rating) VALUES (1, 5) RETURNING id`);
    expect(Number(review!.id)).toBe(501);
    const [image] = await query<{ id: string }>(staging, `INSERT INTO images (book_id, s3_key, content_type) VALUES (1, 'x', 'y') RETURNING id`);
    expect(Number(image!.id)).toBe(581);
  });

  it('says how foreign keys were handled, and reports drift and per-table detail in the summary', () => {
    expect(result.log).toContain('session_replication_role = replica');
    expect(result.log).toContain('Rebuilt 1 secondary index(es) after the load');
    expect(result.summary).toContain('### Database');
    expect(result.summary).toMatch(/\*\*Tables refreshed:\*\* 4 · \*\*Rows:\*\* 1,400/);
    expect(result.summary).toContain('`public.books.legacy_code` exists only in production: its values are not copied.');
    expect(result.summary).toContain('`public.audit_log` exists only in production: skipped');
    expect(result.summary).toContain('`public.feature_flags` exists only in staging: left untouched.');
    expect(result.summary).toMatch(/\| `public.books` \| replaced \| 290 \|.*\| binary \|/);
    expect(result.summary).toMatch(/\| `public.reviews` \| replaced \| 500 \|.*\| text \| `rating` is smallint in production, integer in staging/);
    expect(result.summary).toMatch(/\| `public.alembic_version` \| left as is \|.*migration bookkeeping/);
  });
});

describe('db-method copy (a role that may not switch triggers off)', () => {
  let staging: string;
  let result: ActionRun;

  beforeAll(async () => {
    const owner = await newOwnerRole();
    staging = await newStaging({ owner, rewritingTrigger: true });
    result = await refresh(staging, { 'post-sync-sql': `UPDATE authors SET name = 'Masked ' || id;` });
  });

  it('loads in dependency order (self-reference and a deferrable cycle included) and says so', async () => {
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toMatch(/Foreign keys: .*dependency order/);
    expect(result.log).toMatch(/public\.authors → public\.books → public\.images → public\.reviews|public\.authors → public\.books → public\.reviews → public\.images/);
    for (const table of ['books', 'reviews', 'images']) {
      const columns = await sharedColumns(production, staging, table);
      expect(await tableHash(staging, table, columns), table).toBe(await tableHash(production, table, columns));
    }
  });

  it("keeps staging's triggers from rewriting production's rows, and switches them back on", async () => {
    const [shouted] = await query<{ n: string }>(staging, `SELECT count(*)::text AS n FROM reviews WHERE body <> upper(body)`);
    expect(Number(shouted!.n)).toBeGreaterThan(0);
    expect(await query(staging, `SELECT tgenabled FROM pg_trigger WHERE tgname = 'reviews_shout'`)).toEqual([{ tgenabled: 'O' }]);
  });

  it('runs post-sync-sql inside the refresh', async () => {
    expect(await query(staging, `SELECT count(*)::int AS n FROM authors WHERE name NOT LIKE 'Masked %'`)).toEqual([{ n: 0 }]);
    expect(result.log).toContain('Ran `post-sync-sql`');
  });
});

describe('db-method copy (a role granted SET on session_replication_role)', () => {
  it('switches triggers off like a superuser would', async () => {
    const owner = await newOwnerRole();
    await query(adminUrl(), `GRANT SET ON PARAMETER session_replication_role TO "${owner}"`);
    const staging = await newStaging({ owner });
    const result = await refresh(staging);
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('triggers off for the load (session_replication_role = replica)');
    await expectSharedTablesEqualProduction(staging);
  });
});

describe('db-method copy (a role with grants only, owning nothing)', () => {
  it('still refreshes: indexes stay, triggers fire (with a warning), sequences are set just before the commit', async () => {
    const role = await newOwnerRole();
    const staging = await newStagingWithGrantsOnly(role, { rewritingTrigger: true });
    const result = await refresh(staging);
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('Secondary indexes stay during the load');
    expect(result.summary).toContain('user trigger(s) `reviews_shout` on `public.reviews` fired during the load');
    expect(result.summary).toContain('materialized view `public.author_stats` was not refreshed');
    for (const table of ['authors', 'books', 'images']) {
      const columns = await sharedColumns(production, staging, table);
      expect(await tableHash(staging, table, columns), table).toBe(await tableHash(production, table, columns));
    }
    const [book] = await query<{ id: number }>(staging, `INSERT INTO books (uuid, title, author_id) VALUES (gen_random_uuid(), 'New', 1) RETURNING id`);
    expect(book!.id).toBe(301);
  });

  it('and a failure still leaves it exactly as it was, sequences included', async () => {
    const role = await newOwnerRole();
    const staging = await newStagingWithGrantsOnly(role);
    const before = await stagingState(staging);
    const result = await refresh(staging, { 'post-sync-sql': 'DELETE FROM images WHERE id <= 10' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('row counts differ');
    expect(await stagingState(staging)).toEqual(before);
  });
});

describe('failures leave staging exactly as it was', () => {
  it('a staging NOT NULL column production lacks: refused at inspection, before any step writes, naming the column', async () => {
    const staging = await newStaging({ notNullWithoutDefault: true });
    const before = await stagingState(staging);
    const result = await refresh(staging);
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toContain('`public.books.isbn` is NOT NULL without a default in staging and production has no such column');
    expect(result.summary).toContain('failed at step “Inspect databases');
    expect(result.summary).toContain('staging is unchanged (nothing was written)');
    expect(await stagingState(staging)).toEqual(before);
  });

  it('a CHECK constraint a production row violates: fails mid-load naming the table, and rolls back', async () => {
    const staging = await newStaging({ priceCheck: true });
    const before = await stagingState(staging);
    const result = await refresh(staging);
    expect(result.exitCode).toBe(1);
    expect(result.log).toMatch(/copying `public\.books` failed: new row for relation "books" violates check constraint "books_price_check"/);
    expect(result.summary).toContain('staging is unchanged (the transaction was rolled back)');
    expect(result.outputs['tables-copied']).toBe('');
    expect(await stagingState(staging)).toEqual(before);
  });

  it('a row-count mismatch after post-sync-sql rolls everything back', async () => {
    const staging = await newStaging();
    const before = await stagingState(staging);
    const result = await refresh(staging, { 'post-sync-sql': 'DELETE FROM images WHERE id <= 10' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('row counts differ after the load and `post-sync-sql`: `public.images`: production had 580 rows, staging now holds 570');
    expect(await stagingState(staging)).toEqual(before);
  });

  it("a lock held by staging's app: fails after lock-timeout saying who holds it", async () => {
    const staging = await newStaging();
    const before = await stagingState(staging);
    const release = await holdLock(staging, 'images', 'bookshelf-api');
    try {
      const started = Date.now();
      const result = await refresh(staging, { 'lock-timeout': '1s' });
      expect(result.exitCode).toBe(1);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(result.log).toContain("staging's app holds a lock on `public.images`: it could not be locked within 1 s (`lock-timeout`)");
      expect(result.log).toContain('application `bookshelf-api`');
    } finally {
      await release();
    }
    expect(await stagingState(staging)).toEqual(before);
  });
});

describe('dry run', () => {
  it('reports per table: rows on both sides, column differences and what would happen; changes nothing', async () => {
    const staging = await newStaging();
    const before = await stagingState(staging);
    const result = await refresh(staging, { 'dry-run': 'true', confirm: '' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('dry-run');
    expect(result.summary).toMatch(/\| `public.books` \| 290 \| 120 \| would be replaced \(binary COPY\) \| .*`legacy_code` only in production: not copied/);
    expect(result.summary).toMatch(/\| `public.reviews` \| 500 \| 40 \| would be replaced \(text COPY\) \| `rating` is smallint in production, integer in staging/);
    expect(result.summary).toMatch(/\| `public.feature_flags` \| — \| 2 \| only in staging: left untouched/);
    expect(result.summary).toMatch(/\| `public.audit_log` \| 10 \| — \| only in production: not copied/);
    expect(await stagingState(staging)).toEqual(before);
  });

  it('reports problems that would stop a real run', async () => {
    const staging = await newStaging({ notNullWithoutDefault: true });
    const result = await refresh(staging, { 'dry-run': 'true', confirm: '' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.summary).toContain('A real run would stop before changing anything: `public.books.isbn` is NOT NULL without a default');
  });
});
