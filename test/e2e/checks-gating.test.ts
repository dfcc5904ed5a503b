import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApp, startLogApps } from '../harness/fake-api.js';
import { seedCatalogue } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { databaseSnapshot, newBucket, newDatabase, S3_ENV, s3Endpoint } from '../harness/servers.js';

/** Pre-flight gating: which health answers stop the run, which only warn. */

let sourceDb: string;
let targetDb: string;
const open: { close(): Promise<unknown> }[] = [];

beforeAll(async () => {
  [sourceDb, targetDb] = await Promise.all([newDatabase('checks_prod'), newDatabase('checks_staging')]);
  await Promise.all([seedCatalogue(sourceDb, { books: 208 }), seedCatalogue(targetDb, { books: 163, titlePrefix: 'Old ' })]);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function apps(opts: { sameVersion?: boolean } = {}) {
  const started = await startLogApps({ productionDb: sourceDb, stagingDb: targetDb, sameVersion: opts.sameVersion ?? true });
  open.push(started);
  return started;
}

const dbInputs = (production: { url: string } | string, staging: { url: string } | string) => ({
  mode: 'db-only',
  'source-database-url': sourceDb,
  'target-database-url': targetDb,
  'source-api-url': typeof production === 'string' ? production : production.url,
  'target-api-url': typeof staging === 'string' ? staging : staging.url,
});
const run = (inputs: Record<string, string>) => runAction(inputs, { env: S3_ENV });
/** A port nothing listens on: connection refused. */
async function closedUrl(): Promise<string> {
  const app = await startFakeApp({ environment: 'gone', version: 'x', git_sha: 'x' });
  await app.close();
  return app.url;
}

describe('pre-flight: production must be healthy', () => {
  it('production database check unhealthy: a real run fails before changing anything', async () => {
    const { production, staging } = await apps();
    production.state.database = { status: 'unhealthy', schema_validated: false, error: 'connection pool exhausted' };
    const before = await databaseSnapshot(targetDb);
    const result = await run({ ...dbInputs(production, staging), confirm: 'staging' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toContain('production is not healthy: database check is unhealthy (connection pool exhausted)');
    expect(result.summary).toContain('❌ Refresh of staging failed at step “Pre-flight: health of production and staging”');
    expect(result.summary).toContain('**staging is unchanged (the run stopped before writing anything).**');
    expect(result.summary).toMatch(/\| production \| source \| `2026.01.11-d688bcd` \| `d688bcd` \| ❌ database unhealthy \|/);
    expect(result.summary).toContain('Not run because');
    expect(await databaseSnapshot(targetDb)).toEqual(before);
  });

  it('production schema not validated: fails too; a dry run reports it and exits non-zero', async () => {
    const { production, staging } = await apps();
    production.state.database = { status: 'healthy', schema_validated: false };
    const result = await run({ ...dbInputs(production, staging), 'dry-run': 'true' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toContain('production is not healthy: database schema is not validated');
    expect(result.summary).toContain('❌ Dry run of staging\'s refresh failed at step “Pre-flight: health of production and staging”');
    expect(result.summary).toContain('❌ schema not validated');
  });

  it('production unreachable: fails after retrying, naming the reason', async () => {
    const { staging } = await apps();
    const result = await run({ ...dbInputs(await closedUrl(), staging), 'dry-run': 'true' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('production health: connection refused; retry 1 in 1 s');
    expect(result.log).toContain('retry 2 in 2 s');
    expect(result.log).toMatch(/production is not healthy: health\/deep: unreachable \(connection refused\)/);
    expect(result.summary).toMatch(/\| production \| source \| — \| — \| ❌ unreachable \|/);
  });

  it('a target API that answers as production is refused', async () => {
    const { production } = await apps();
    const result = await run({ ...dbInputs(production, production), 'dry-run': 'true' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('both answer as environment `production`');
  });
});

describe('pre-flight: staging may be unhealthy', () => {
  it('staging unhealthy: a warning in log and summary, and the run goes on', async () => {
    const { production, staging } = await apps();
    staging.state.status = 'unhealthy';
    staging.state.database = { status: 'unhealthy', schema_validated: false, error: 'relation "books" does not exist' };
    const result = await run({ ...dbInputs(production, staging), 'dry-run': 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('dry-run');
    expect(result.log).toMatch(/::warning::staging is not healthy before the refresh \(database check is unhealthy \(relation "books" does not exist\)\)/);
    expect(result.summary).toContain('⚠️ staging is not healthy before the refresh');
    expect(result.summary).toMatch(/\| staging \| target \| `2026.01.11-d688bcd` \| `d688bcd` \| ❌ database unhealthy \| — \| 163 \| 208 \|/);
  });

  it('staging unreachable: a warning, and the run goes on', async () => {
    const { production } = await apps();
    const result = await run({ ...dbInputs(production, await closedUrl()), 'dry-run': 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.summary).toMatch(/\| staging \| target \| — \| — \| ❌ unreachable \|/);
    expect(result.summary).toContain('staging is not healthy before the refresh (health/deep: unreachable (connection refused)');
  });
});

describe('retries', () => {
  it('a flaky endpoint (two 503s) succeeds on the third attempt', async () => {
    const { production, staging } = await apps();
    production.state.failNext = { count: 2, status: 503, path: '/health/deep' };
    const result = await run({ ...dbInputs(production, staging), 'dry-run': 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('production health: HTTP 503; retry 1 in 1 s');
    expect(result.log).toContain('production health: HTTP 503; retry 2 in 2 s');
    // The line names the endpoint that failed: health reads two (/health/info and /health/deep).
    expect(result.log).toContain(`production health: HTTP 503; retry 1 in 1 s (GET ${production.url}/health/deep)`);
    expect(result.log).not.toMatch(/retry \d in \d s \(GET [^)]*\/health\/info\)/);
    expect(production.count('/health/deep')).toBe(3);
    expect(result.summary).toMatch(/\| production \| source \| `2026.01.11-d688bcd` \| `d688bcd` \| ✅ healthy \|/);
  });

  it('dropped connections are retried too', async () => {
    const { production, staging } = await apps();
    production.state.failNext = { count: 1, status: 0 };
    const result = await run({ ...dbInputs(production, staging), 'dry-run': 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toMatch(/production health: (connection reset|socket hang up)[^;]*; retry 1/);
  });

  it('gives up after two retries', async () => {
    const { production, staging } = await apps();
    production.state.failNext = { count: 3, status: 502, path: '/health/deep' };
    const result = await run({ ...dbInputs(production, staging), 'dry-run': 'true' });
    expect(result.exitCode).toBe(1);
    expect(production.count('/health/deep')).toBe(3);
    expect(result.log).toContain('production is not healthy: health/deep: HTTP 502 from /health/deep');
  });
});

describe('without API URLs', () => {
  it('skips the checks and says so', async () => {
    const result = await run({ mode: 'db-only', 'dry-run': 'true', 'source-database-url': sourceDb, 'target-database-url': targetDb });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.summary).toContain('Health and version checks skipped: no `source-api-url` / `target-api-url` given.');
    expect(result.summary).not.toContain('Pre-flight');
    expect(result.outputs['version-mismatch']).toBe('');
  });
});

describe('book counts', () => {
  it('come from the databases when their URLs are given, and the summary says so', async () => {
    const { production, staging } = await apps();
    // The health API would say otherwise: the databases win.
    production.state.bookCountFrom = undefined;
    production.state.database = { status: 'healthy', schema_validated: true, book_count: 999 };
    const result = await run({ ...dbInputs(production, staging), 'dry-run': 'true' });
    expect(result.outputs['books-source']).toBe('208');
    expect(result.summary).toContain('Book counts: rows of `public.books` (`count-table`) in each database.');
  });

  it('come from the health API without database URLs (images-only), and the summary says so', async () => {
    const { production, staging } = await apps();
    const [sourceBucket, targetBucket] = await Promise.all([newBucket('checks-prod'), newBucket('checks-staging')]);
    const result = await run({
      mode: 'images-only',
      'dry-run': 'true',
      'source-bucket': sourceBucket,
      'target-bucket': targetBucket,
      's3-endpoint': s3Endpoint(),
      'source-api-url': production.url,
      'target-api-url': staging.url,
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['books-source']).toBe('208');
    expect(result.outputs['books-target-before']).toBe('163');
    expect(result.summary).toContain('Book counts: `checks.database.book_count` from each health API (no database URLs given).');
    expect(result.summary).toMatch(/\| production \| source \| `2026.01.11-d688bcd` \| `d688bcd` \| ✅ healthy \| — \| 208 \| 208 \|/);
  });
});

describe('inputs of the checks', () => {
  it('are validated with the other inputs, every problem reported at once, the token masked', async () => {
    const result = await run({
      mode: 'db-only',
      'dry-run': 'true',
      'source-database-url': sourceDb,
      'target-database-url': targetDb,
      'on-version-mismatch': 'sometimes',
      'post-check-timeout': 'soon',
      repository: 'not a repo',
      'cache-flush-token': 'flush-token-without-url',
      'cache-ttl': 'a while',
    });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('5 input problem(s)');
    expect(result.log).toContain('`on-version-mismatch` must be one of warn, fail, fail-on-schema-change, got `sometimes`');
    expect(result.log).toContain('`post-check-timeout` must be a duration such as `30s`, `2m` or `1h`, got `soon`');
    expect(result.log).toContain('`repository` must be `owner/name`');
    expect(result.log).toContain('`cache-flush-token` is set but `cache-flush-url` is empty');
    expect(result.log).toContain('`cache-ttl` must be a duration');
    expect(result.log).toContain('::add-mask::flush-token-without-url');
    expect(result.visibleLog).not.toContain('flush-token-without-url');
  });
});
