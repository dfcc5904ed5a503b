import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_VERSIONS, startFakeGitHub, startLogApps, type FakeGitHub } from '../harness/fake-api.js';
import { seedCatalogue } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { databaseSnapshot, newDatabase, query, S3_ENV } from '../harness/servers.js';

/**
 * Version mismatch: production 2026.01.11-d688bcd, staging 2026.01.11-588327b (the original
 * log). What changed between them decides, with `on-version-mismatch`, whether the run goes on.
 */

const TOKEN = 'ghs_checksTestToken123';
const DOCS_ONLY = ['README.md', 'docs/deploy.md'];
const WITH_MIGRATION = ['README.md', 'backend/alembic/versions/0042_add_isbn.py', 'backend/app/models.py'];
const STAGING_MIGRATION = ['backend/alembic/versions/0043_add_reviews.py', 'backend/app/models.py'];

let sourceDb: string;
let targetDb: string;
let apps: Awaited<ReturnType<typeof startLogApps>>;
let docsGitHub: FakeGitHub;
let migrationGitHub: FakeGitHub;
let stagingAheadGitHub: FakeGitHub;

beforeAll(async () => {
  [sourceDb, targetDb] = await Promise.all([newDatabase('ver_prod'), newDatabase('ver_staging')]);
  await Promise.all([seedCatalogue(sourceDb, { books: 208, migration: 'd688bcd' }), seedCatalogue(targetDb, { books: 163, migration: '588327b', titlePrefix: 'Old ' })]);
  apps = await startLogApps({ productionDb: sourceDb, stagingDb: targetDb });
  const comparison = (files: string[]) => ({ base: LOG_VERSIONS.staging.git_sha, head: LOG_VERSIONS.production.git_sha, aheadBy: 3, files });
  // The usual case: staging runs newer code, with a migration production has not had yet.
  const stagingAhead = { base: LOG_VERSIONS.production.git_sha, head: LOG_VERSIONS.staging.git_sha, aheadBy: 2, files: STAGING_MIGRATION };
  [docsGitHub, migrationGitHub, stagingAheadGitHub] = await Promise.all([
    startFakeGitHub({ repository: 'acme/bookshelf', token: TOKEN, comparisons: [comparison(DOCS_ONLY)] }),
    startFakeGitHub({ repository: 'acme/bookshelf', token: TOKEN, comparisons: [comparison(WITH_MIGRATION)] }),
    startFakeGitHub({ repository: 'acme/bookshelf', token: TOKEN, comparisons: [stagingAhead] }),
  ]);
});

afterAll(async () => {
  await Promise.all([apps.close(), docsGitHub.close(), migrationGitHub.close(), stagingAheadGitHub.close()]);
});

function run(github: FakeGitHub, inputs: Record<string, string>, dbs = { source: sourceDb, target: targetDb }) {
  return runAction(
    {
      mode: 'db-only',
      'source-database-url': dbs.source,
      'target-database-url': dbs.target,
      'source-api-url': apps.production.url,
      'target-api-url': apps.staging.url,
      'github-token': TOKEN,
      ...inputs,
    },
    { env: { ...S3_ENV, GITHUB_API_URL: github.apiUrl } },
  );
}

describe('the original log, answered', () => {
  it('production 2026.01.11-d688bcd with 208 books, staging 2026.01.11-588327b with 163: docs-only commits, schemas identical', async () => {
    const result = await run(docsGitHub, { 'dry-run': 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['version-mismatch']).toBe('true');
    expect(result.outputs['books-source']).toBe('208');
    expect(result.outputs['books-target-before']).toBe('163');
    const { summary } = result;
    expect(summary).toMatch(/\| production \| source \| `2026.01.11-d688bcd` \| `d688bcd` \| ✅ healthy \| — \| 208 \| 208 \|/);
    expect(summary).toMatch(/\| staging \| target \| `2026.01.11-588327b` \| `588327b` \| ✅ healthy \| — \| 163 \| 208 \|/);
    expect(summary).toContain('### ⚠️ Version mismatch');
    expect(summary).toContain('production runs `2026.01.11-d688bcd`, staging runs `2026.01.11-588327b`.');
    expect(summary).toContain(
      '- **Code:** production is 3 commits ahead of staging, 2 files changed in production — no migrations between them ([production\'s changes](https://github.com/acme/bookshelf/compare/588327b...d688bcd)).',
    );
    expect(summary).toContain('- **Schema:** schemas identical (4 tables compared).');
    expect(summary).toContain('- **What the run did:** noted and went on (`on-version-mismatch: warn`)');
    expect(result.log).toContain('::warning::production runs 2026.01.11-d688bcd and staging runs 2026.01.11-588327b');
    // The compare call used the token as a bearer token, against GITHUB_API_URL.
    const call = docsGitHub.requests.at(-1)!;
    expect(call.path).toBe('/repos/acme/bookshelf/compare/588327b...d688bcd');
    expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.visibleLog + summary).not.toContain(TOKEN);
  });

  it('same versions: no mismatch, no comparison', async () => {
    const same = await startLogApps({ productionDb: sourceDb, stagingDb: targetDb, sameVersion: true });
    try {
      const calls = docsGitHub.requests.length;
      const result = await runAction(
        { mode: 'db-only', 'dry-run': 'true', 'source-database-url': sourceDb, 'target-database-url': targetDb, 'source-api-url': same.production.url, 'target-api-url': same.staging.url },
        { env: { GITHUB_API_URL: docsGitHub.apiUrl } },
      );
      expect(result.exitCode, result.log).toBe(0);
      expect(result.outputs['version-mismatch']).toBe('false');
      expect(result.summary).not.toContain('Version mismatch');
      expect(result.summary).toContain('same version on both: 2026.01.11-d688bcd');
      expect(docsGitHub.requests.length).toBe(calls);
    } finally {
      await same.close();
    }
  });
});

describe('on-version-mismatch', () => {
  // Failing policies are tried as real (confirmed) runs: they must stop before any write.
  const cases = [
    { policy: 'warn', github: () => docsGitHub, migrations: false, fails: false },
    { policy: 'warn', github: () => migrationGitHub, migrations: true, fails: false },
    { policy: 'fail', github: () => docsGitHub, migrations: false, fails: true },
    { policy: 'fail', github: () => migrationGitHub, migrations: true, fails: true },
    { policy: 'fail-on-schema-change', github: () => docsGitHub, migrations: false, fails: false },
    { policy: 'fail-on-schema-change', github: () => migrationGitHub, migrations: true, fails: true },
  ];
  for (const c of cases) {
    it(`${c.policy}, ${c.migrations ? 'migrations touched' : 'no migrations'}: ${c.fails ? 'stops before any change' : 'goes on'}`, async () => {
      const before = await databaseSnapshot(targetDb);
      const result = await run(c.github(), { 'on-version-mismatch': c.policy, ...(c.fails ? { confirm: 'staging' } : { 'dry-run': 'true' }) });
      expect(result.outputs['version-mismatch']).toBe('true');
      expect(result.summary).toContain(
        c.migrations ? '**migrations only in production:** `backend/alembic/versions/0042_add_isbn.py`' : 'no migrations between them',
      );
      if (c.fails) {
        expect(result.exitCode).toBe(1);
        expect(result.summary).toContain('failed at step “Compare production\'s and staging\'s versions”');
        expect(result.summary).toContain('**staging is unchanged (the run stopped before writing anything).**');
        expect(result.summary).toContain('- **What the run did:** stopped before changing anything');
        expect(result.summary).toContain('⏭️ not-run');
        expect(await databaseSnapshot(targetDb)).toEqual(before);
      } else {
        expect(result.exitCode, result.log).toBe(0);
        expect(result.summary).toContain('- **What the run did:** ');
        expect(result.summary).toContain(c.policy === 'warn' ? 'noted and went on' : 'went on: no schema change between the versions');
      }
    });
  }

  it('fail-on-schema-change stops on a schema difference even when the code shows no migrations, listing every difference', async () => {
    const [newer, older] = await Promise.all([newDatabase('ver_newer'), newDatabase('ver_older')]);
    await Promise.all([seedCatalogue(newer, { books: 5 }), seedCatalogue(older, { books: 5 })]);
    await query(
      newer,
      `ALTER TABLE books ADD COLUMN isbn text;
       ALTER TABLE books ALTER COLUMN published TYPE bigint;
       ALTER TABLE authors ALTER COLUMN born SET NOT NULL;
       ALTER TABLE images ALTER COLUMN content_type TYPE varchar(100);
       CREATE TABLE reviews (id serial PRIMARY KEY, book_id integer, body text)`,
    );
    await query(older, `CREATE TABLE staging_notes (id serial PRIMARY KEY)`);
    const result = await run(docsGitHub, { 'on-version-mismatch': 'fail-on-schema-change', confirm: 'staging' }, { source: newer, target: older });
    expect(result.exitCode).toBe(1);
    expect(result.summary).toContain('- **Schema:** 6 differences:');
    const listed = result.summary.split('\n').filter((l) => l.startsWith('  - '));
    expect(listed).toEqual([
      '  - column `public.authors.born`: NOT NULL in production, nullable in staging',
      '  - column `public.books.published`: bigint in production, integer in staging',
      '  - column `public.books.isbn` (text) only in production',
      '  - column `public.images.content_type`: character varying(100) in production, text in staging',
      '  - table `public.reviews` only in production',
      '  - table `public.staging_notes` only in staging',
    ]);
    expect(result.log).toContain('The schema changed between production (2026.01.11-d688bcd) and staging (2026.01.11-588327b)');
  });
});

describe('staging ahead of production (it runs newer code)', () => {
  it('lists the migration only staging has, under staging', async () => {
    const result = await run(stagingAheadGitHub, { 'dry-run': 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.summary).toContain(
      '- **Code:** staging is 2 commits ahead of production, 2 files changed in staging — **migrations only in staging:** `backend/alembic/versions/0043_add_reviews.py` ([staging\'s changes](https://github.com/acme/bookshelf/compare/d688bcd...588327b)).',
    );
    expect(result.summary).not.toContain('only in production');
  });

  it('fail-on-schema-change stops before any write when only staging has a migration', async () => {
    const before = await databaseSnapshot(targetDb);
    const result = await run(stagingAheadGitHub, { 'on-version-mismatch': 'fail-on-schema-change', confirm: 'staging' });
    expect(result.exitCode, result.log).toBe(1);
    expect(result.log).toContain('The schema changed between production (2026.01.11-d688bcd) and staging (2026.01.11-588327b)');
    expect(result.log).toContain('migrations only in staging: `backend/alembic/versions/0043_add_reviews.py`');
    expect(result.summary).toContain('**staging is unchanged (the run stopped before writing anything).**');
    expect(result.summary).toContain('- **What the run did:** stopped before changing anything: the schema changed between the versions');
    expect(result.outputs.status).toBe('failed');
    expect(await databaseSnapshot(targetDb)).toEqual(before);
  });
});

describe('when the code comparison is not possible, the summary says so plainly', () => {
  it('unknown commit or no access (404)', async () => {
    const result = await run(docsGitHub, { 'dry-run': 'true', repository: 'acme/other-repo' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.summary).toContain(
      '- **Code:** not compared: GitHub does not know commit 588327b or d688bcd in acme/other-repo, or the token cannot read that repository (HTTP 404: Not Found).',
    );
    expect(result.summary).toContain('- **Schema:** schemas identical');
  });

  it('a token GitHub refuses (401)', async () => {
    const result = await run(docsGitHub, { 'dry-run': 'true', 'github-token': 'ghs_wrongToken456' });
    expect(result.summary).toContain('- **Code:** not compared: GitHub refused the token (HTTP 401: Bad credentials).');
  });

  it('fail-on-schema-change with nothing to tell from (no token, no databases) stops and says how to fix it', async () => {
    const result = await runAction(
      {
        mode: 'images-only',
        'dry-run': 'true',
        'source-bucket': 'prod-images',
        'target-bucket': 'staging-images',
        'source-api-url': apps.production.url,
        'target-api-url': apps.staging.url,
        'on-version-mismatch': 'fail-on-schema-change',
      },
      { env: { GITHUB_API_URL: docsGitHub.apiUrl } },
    );
    expect(result.exitCode).toBe(1);
    expect(result.summary).toContain('- **Code:** not compared: no `github-token` was given');
    expect(result.summary).toContain('- **Schema:** not compared: no database URLs given');
    expect(result.log).toContain('whether the schema changed could not be checked');
    expect(result.log).toContain('Give `github-token` (with read access to the repository) or both database URLs');
  });
});
