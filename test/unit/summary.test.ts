import { describe, expect, it } from 'vitest';
import { bookCounts } from '../../src/report/book-counts.js';
import { toJsonReport } from '../../src/report/json-report.js';
import type { EnvironmentHealth, RunReport, StepReport } from '../../src/report/model.js';
import { toOutputs } from '../../src/report/outputs.js';
import { renderSummary } from '../../src/report/summary.js';

/**
 * The job summary is a pure function of the report: these reports are built by hand, with fixed
 * times, so the Markdown is stable. The Images and Database sections belong to the engines and
 * are tested there; they are cut out before comparing.
 */

const healthy = (version: string, gitSha: string, bookCount: number): EnvironmentHealth => ({
  checkedAt: '2026-01-11T10:00:00.000Z',
  reachable: true,
  healthy: true,
  version,
  gitSha,
  environment: version.endsWith('d688bcd') ? 'production' : 'staging',
  status: 'healthy',
  databaseStatus: 'healthy',
  schemaValidated: true,
  bookCount,
});
const PRODUCTION = healthy('2026.01.11-d688bcd', 'd688bcd', 208);
const STAGING_BEFORE = healthy('2026.01.11-588327b', '588327b', 163);
const STAGING_AFTER = { ...STAGING_BEFORE, bookCount: 208 };

const step = (id: string, title: string, status: StepReport['status'], seconds?: number, detail?: string): StepReport => ({
  id,
  title,
  status,
  ...(seconds === undefined ? {} : { seconds }),
  ...(detail ? (status === 'failed' ? { error: detail } : { detail }) : {}),
});

function base(over: Partial<RunReport>): RunReport {
  return {
    startedAt: '2026-01-11T10:00:00.000Z',
    finishedAt: '2026-01-11T10:01:23.400Z',
    mode: 'full',
    dryRun: false,
    sourceName: 'production',
    targetName: 'staging',
    outcome: 'synced',
    steps: [],
    notes: [],
    ...over,
  };
}

const images = {
  sourceObjects: 5_162,
  sourceBytes: 431_000_000,
  targetObjects: 4_980,
  targetBytes: 402_000_000,
  excludedObjects: 5,
  excludedBytes: 12_000_000,
  candidateObjects: 5_157,
  candidateBytes: 419_000_000,
};

const versions = {
  source: { version: '2026.01.11-d688bcd', gitSha: 'd688bcd' },
  target: { version: '2026.01.11-588327b', gitSha: '588327b' },
  mismatch: true,
  code: {
    compared: true,
    repository: 'acme/bookshelf',
    status: 'ahead',
    aheadBy: 3,
    behindBy: 0,
    sourceSide: { commits: 3, filesChanged: 2, migrationFiles: [], filesIncomplete: false, url: 'https://github.com/acme/bookshelf/compare/588327b...d688bcd' },
    targetSide: { commits: 0, filesChanged: 0, migrationFiles: [], filesIncomplete: false },
    filesChanged: 2,
    migrationFiles: [],
    url: 'https://github.com/acme/bookshelf/compare/588327b...d688bcd',
  },
  schema: { compared: true, tablesCompared: 4, differences: [] },
  policy: 'warn',
  decision: 'noted and went on (`on-version-mismatch: warn`)',
};

/** The summary without the engines' own sections. */
function ownParts(markdown: string): string {
  return markdown.replace(/^### (Images|Database)\n[\s\S]*?(?=^### |(?![\s\S]))/gm, '');
}

describe('summary per outcome', () => {
  it('refreshed', () => {
    const report = base({
      health: { source: PRODUCTION, targetBefore: STAGING_BEFORE, targetAfter: STAGING_AFTER, postCheck: { attempts: 2, seconds: 5.1, healthy: true } },
      versions,
      versionMismatch: true,
      database: { countTable: 'public.books', sourceCount: 208, targetCountBefore: 163, targetCountAfter: 208, tablesCopied: 3, rowsCopied: 636 },
      images: { ...images, copiedObjects: 180, copiedBytes: 17_000_000, skippedObjects: 4_977 },
      cache: { url: 'https://api.staging.example.com/admin/cache/flush', flushed: true, httpStatus: 204 },
      steps: [
        step('check-health', 'Pre-flight: health of production and staging', 'succeeded', 0.4, 'both healthy'),
        step('check-versions', "Compare production's and staging's versions", 'succeeded', 0.9, 'versions differ'),
        step('refresh-images', 'Copy images', 'succeeded', 61.2, '180 copied'),
        step('refresh-database', "Replace staging's database with production's", 'succeeded', 12.5, '3 tables, 636 rows'),
        step('flush-cache', "Flush staging's caches", 'succeeded', 0.1, 'flushed'),
        step('post-check', 'Post-flight: wait for staging to be healthy', 'succeeded', 5.1, 'healthy after 2 checks'),
      ],
    });
    expect(ownParts(renderSummary(report))).toMatchInlineSnapshot(`
      "## ✅ staging refreshed from production

      **Target:** staging · **Source:** production · **Mode:** full (images and database) · **Duration:** 1 min 23 s

      | environment | role | version | git SHA | health before | health after | public.books before | public.books after | objects | bytes |
      |---|---|---|---|---|---|---|---|---|---|
      | production | source | \`2026.01.11-d688bcd\` | \`d688bcd\` | ✅ healthy | — | 208 | 208 | 5,162 (5 excluded) | 431 MB |
      | staging | target | \`2026.01.11-588327b\` | \`588327b\` | ✅ healthy | ✅ healthy | 163 | 208 | 4,980 | 402 MB |

      Book counts: rows of \`public.books\` (\`count-table\`) in each database.

      ### ⚠️ Version mismatch

      production runs \`2026.01.11-d688bcd\`, staging runs \`2026.01.11-588327b\`.

      - **Code:** production is 3 commits ahead of staging, 2 files changed in production — no migrations between them ([production's changes](https://github.com/acme/bookshelf/compare/588327b...d688bcd)).
      - **Schema:** schemas identical (4 tables compared).
      - **What the run did:** noted and went on (\`on-version-mismatch: warn\`).

      ### Steps

      | step | result | time | detail |
      |---|---|---:|---|
      | Pre-flight: health of production and staging | ✅ succeeded | 0.4 s | both healthy |
      | Compare production's and staging's versions | ✅ succeeded | 0.9 s | versions differ |
      | Copy images | ✅ succeeded | 1 min 1 s | 180 copied |
      | Replace staging's database with production's | ✅ succeeded | 12.5 s | 3 tables, 636 rows |
      | Flush staging's caches | ✅ succeeded | 0.1 s | flushed |
      | Post-flight: wait for staging to be healthy | ✅ succeeded | 5.1 s | healthy after 2 checks |

      ### Notes

      - ℹ️ staging was healthy again after 2 checks (5.1 s).
      - ℹ️ staging's caches were flushed (HTTP 204 from https://api.staging.example.com/admin/cache/flush).
      "
    `);
  });

  it('dry run', () => {
    const report = base({
      mode: 'db-only',
      dryRun: true,
      outcome: 'dry-run',
      finishedAt: '2026-01-11T10:00:02.250Z',
      health: { source: PRODUCTION, targetBefore: STAGING_BEFORE },
      versions: {
        ...versions,
        policy: 'fail-on-schema-change',
        decision: 'went on: no schema change between the versions (`on-version-mismatch: fail-on-schema-change`)',
      },
      versionMismatch: true,
      database: { countTable: 'public.books', sourceCount: 208, targetCountBefore: 163 },
      steps: [
        step('check-health', 'Pre-flight: health of production and staging', 'succeeded', 0.4, 'both healthy'),
        step('check-versions', "Compare production's and staging's versions", 'succeeded', 0.9, 'versions differ, no schema change'),
        step('inspect-database', 'Inspect databases (production → staging)', 'succeeded', 0.6, 'public.books: production 208, staging 163'),
      ],
    });
    expect(ownParts(renderSummary(report))).toMatchInlineSnapshot(`
      "## 🔍 Dry run: staging would be refreshed from production (nothing was changed)

      **Target:** staging · **Source:** production · **Mode:** db-only (database) · **Dry run** · **Duration:** 2.3 s

      | environment | role | version | git SHA | health before | health after | public.books before | public.books after (planned) |
      |---|---|---|---|---|---|---|---|
      | production | source | \`2026.01.11-d688bcd\` | \`d688bcd\` | ✅ healthy | — | 208 | 208 |
      | staging | target | \`2026.01.11-588327b\` | \`588327b\` | ✅ healthy | — | 163 | 208 |

      Book counts: rows of \`public.books\` (\`count-table\`) in each database.

      ### ⚠️ Version mismatch

      production runs \`2026.01.11-d688bcd\`, staging runs \`2026.01.11-588327b\`.

      - **Code:** production is 3 commits ahead of staging, 2 files changed in production — no migrations between them ([production's changes](https://github.com/acme/bookshelf/compare/588327b...d688bcd)).
      - **Schema:** schemas identical (4 tables compared).
      - **What the run did:** went on: no schema change between the versions (\`on-version-mismatch: fail-on-schema-change\`).

      ### Plan

      | step | result | time | detail |
      |---|---|---:|---|
      | Pre-flight: health of production and staging | ✅ succeeded | 0.4 s | both healthy |
      | Compare production's and staging's versions | ✅ succeeded | 0.9 s | versions differ, no schema change |
      | Inspect databases (production → staging) | ✅ succeeded | 0.6 s | public.books: production 208, staging 163 |
      "
    `);
  });

  it('failed mid-way: the error and what state staging is in come first', () => {
    const report = base({
      outcome: 'failed',
      finishedAt: '2026-01-11T10:00:47.000Z',
      health: { source: PRODUCTION, targetBefore: STAGING_BEFORE },
      versions: { ...versions, mismatch: false, code: undefined, schema: undefined, decision: undefined },
      versionMismatch: false,
      database: { countTable: 'public.books', sourceCount: 208, targetCountBefore: 163 },
      images: { ...images, copiedObjects: 180, copiedBytes: 17_000_000, skippedObjects: 4_977 },
      failure: {
        step: "Replace staging's database with production's",
        message: 'table public.books: null value in column "isbn" violates not-null constraint',
        targetState: 'unchanged (the transaction was rolled back)',
      },
      notes: [{ level: 'warning', text: 'staging is missing column `books.isbn`' }],
      steps: [
        step('check-health', 'Pre-flight: health of production and staging', 'succeeded', 0.4, 'both healthy'),
        step('refresh-images', 'Copy images', 'succeeded', 31, '180 copied'),
        step('refresh-database', "Replace staging's database with production's", 'failed', 2.5, 'table public.books: null value'),
        step('verify-database', "Verify staging's database", 'not-run'),
        step('flush-cache', "Flush staging's caches", 'not-run'),
        step('post-check', 'Post-flight: wait for staging to be healthy', 'not-run'),
      ],
    });
    const markdown = renderSummary(report);
    expect(ownParts(markdown)).toMatchInlineSnapshot(`
      "## ❌ Refresh of staging failed at step “Replace staging's database with production's”

      **Target:** staging · **Source:** production · **Mode:** full (images and database) · **Duration:** 47.0 s

      > **Failed at step “Replace staging's database with production's”:** table public.books: null value in column "isbn" violates not-null constraint
      >
      > **staging is unchanged (the transaction was rolled back).**
      > Already done before the failure: Copy images.

      | environment | role | version | git SHA | health before | health after | public.books before | public.books after | objects | bytes |
      |---|---|---|---|---|---|---|---|---|---|
      | production | source | \`2026.01.11-d688bcd\` | \`d688bcd\` | ✅ healthy | — | 208 | 208 | 5,162 (5 excluded) | 431 MB |
      | staging | target | \`2026.01.11-588327b\` | \`588327b\` | ✅ healthy | — | 163 | — | 4,980 | 402 MB |

      Book counts: rows of \`public.books\` (\`count-table\`) in each database.

      ### Steps

      | step | result | time | detail |
      |---|---|---:|---|
      | Pre-flight: health of production and staging | ✅ succeeded | 0.4 s | both healthy |
      | Copy images | ✅ succeeded | 31.0 s | 180 copied |
      | Replace staging's database with production's | ❌ failed | 2.5 s | table public.books: null value |
      | Verify staging's database | ⏭️ not-run | — |  |
      | Flush staging's caches | ⏭️ not-run | — |  |
      | Post-flight: wait for staging to be healthy | ⏭️ not-run | — |  |

      ### Notes

      - ⚠️ staging is missing column \`books.isbn\`
      - ℹ️ Not run because “Replace staging's database with production's” failed: Verify staging's database; Flush staging's caches; Post-flight: wait for staging to be healthy.
      "
    `);
    // Within the first lines: what failed, and that staging is unchanged.
    const top = markdown.split('\n').slice(0, 8).join('\n');
    expect(top).toContain("failed at step “Replace staging's database with production's”");
    expect(top).toContain('**staging is unchanged (the transaction was rolled back).**');
  });
});

describe('summary details', () => {
  it('says when the checks were skipped, and how long caches may be stale', () => {
    const markdown = renderSummary(
      base({
        database: { countTable: 'public.books', sourceCount: 208, targetCountBefore: 163, targetCountAfter: 208 },
        cache: { flushed: false, ttl: '5m' },
        steps: [step('refresh-database', 'Replace', 'succeeded', 1)],
      }),
    );
    expect(markdown).toContain('- ℹ️ Health and version checks skipped: no `source-api-url` / `target-api-url` given.');
    expect(markdown).toContain("- ⚠️ staging's caches were not flushed (no `cache-flush-url`): cached data may be stale for up to 5m.");
    expect(markdown).not.toContain('| version |');
    expect(markdown).toContain('| production | source | 208 | 208 |');
  });

  it('lists schema differences and touched migrations', () => {
    const markdown = renderSummary(
      base({
        outcome: 'failed',
        versions: {
          ...versions,
          policy: 'fail-on-schema-change',
          code: {
            ...versions.code,
            sourceSide: { ...versions.code.sourceSide, migrationFiles: ['backend/alembic/versions/0042_add_isbn.py'] },
            migrationFiles: ['backend/alembic/versions/0042_add_isbn.py'],
          },
          schema: { compared: true, tablesCompared: 5, differences: ['column `public.books.isbn` (text) only in production', 'table `public.reviews` only in production'] },
          decision: 'stopped before changing anything',
        },
        failure: { step: "Compare production's and staging's versions", message: 'The schema changed', targetState: 'unchanged (the run stopped before writing anything)' },
      }),
    );
    expect(markdown).toContain('— **migrations only in production:** `backend/alembic/versions/0042_add_isbn.py`');
    expect(markdown).toContain(
      ['- **Schema:** 2 differences:', '  - column `public.books.isbn` (text) only in production', '  - table `public.reviews` only in production'].join('\n'),
    );
  });

  it('lists the migrations of each side apart when the versions diverged', () => {
    const code = {
      compared: true,
      status: 'diverged',
      aheadBy: 3,
      behindBy: 2,
      sourceSide: { commits: 3, filesChanged: 4, migrationFiles: ['db/migrate/0042_add_isbn.rb'], filesIncomplete: false, url: 'https://github.com/acme/bookshelf/compare/588327b...d688bcd' },
      targetSide: { commits: 2, filesChanged: 1, migrationFiles: ['db/migrate/0043_add_reviews.rb'], filesIncomplete: false, url: 'https://github.com/acme/bookshelf/compare/d688bcd...588327b' },
    };
    const markdown = renderSummary(base({ versions: { ...versions, code } }));
    expect(markdown).toContain(
      '- **Code:** production and staging diverged: production has 3 commits staging lacks, staging has 2 commits production lacks, 4 files changed in production, 1 in staging' +
        ' — **migrations only in production:** `db/migrate/0042_add_isbn.rb`; **migrations only in staging:** `db/migrate/0043_add_reviews.rb`' +
        " ([production's changes](https://github.com/acme/bookshelf/compare/588327b...d688bcd), [staging's changes](https://github.com/acme/bookshelf/compare/d688bcd...588327b)).",
    );
  });

  it("says when staging's side could not be listed", () => {
    const code = {
      compared: true,
      status: 'behind',
      aheadBy: 0,
      behindBy: 2,
      sourceSide: { commits: 0, filesChanged: 0, migrationFiles: [], filesIncomplete: false },
      targetSide: { commits: 2, filesChanged: 0, migrationFiles: [], filesIncomplete: true, problem: 'GitHub answered HTTP 502' },
    };
    const markdown = renderSummary(base({ versions: { ...versions, code } }));
    expect(markdown).toContain("- **Code:** staging is 2 commits ahead of production — staging's changes could not be listed (GitHub answered HTTP 502).");
  });
});

describe('book counts', () => {
  it('come from the health API when no database was read, and fill the outputs', () => {
    const report = base({ mode: 'images-only', health: { source: PRODUCTION, targetBefore: STAGING_BEFORE, targetAfter: STAGING_AFTER } });
    expect(bookCounts(report)).toEqual({ from: 'health API', label: 'checks.database.book_count', source: 208, targetBefore: 163, targetAfter: 208 });
    expect(toOutputs(report)).toMatchObject({ 'books-source': '208', 'books-target-before': '163', 'books-target-after': '208' });
    expect(renderSummary(report)).toContain('Book counts: `checks.database.book_count` from each health API (no database URLs given).');
  });

  it('come from the databases when they were read', () => {
    const report = base({
      health: { source: { ...PRODUCTION, bookCount: 1 }, targetBefore: STAGING_BEFORE },
      database: { countTable: 'public.books', sourceCount: 208, targetCountBefore: 163 },
    });
    expect(bookCounts(report)).toMatchObject({ from: 'database', source: 208 });
  });
});

describe('JSON report', () => {
  it('holds the same facts, with duration, book counts and outputs', () => {
    const report = base({ versionMismatch: true, versions, database: { countTable: 'public.books', sourceCount: 208, targetCountBefore: 163, targetCountAfter: 208 } });
    const json = toJsonReport(report);
    expect(json).toMatchObject({
      reportVersion: 1,
      outcome: 'synced',
      durationSeconds: 83.4,
      bookCounts: { from: 'database', source: 208, targetBefore: 163, targetAfter: 208 },
      versions: { code: { aheadBy: 3, migrationFiles: [] } },
      outputs: { status: 'synced', 'version-mismatch': 'true', 'books-target-after': '208' },
    });
    expect(json.outputs).not.toHaveProperty('report-file');
  });
});
