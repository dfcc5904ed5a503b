import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_VERSIONS, startFakeGitHub, startLogApps } from '../harness/fake-api.js';
import { seedCatalogue } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { newDatabase, query, S3_ENV } from '../harness/servers.js';

/**
 * After a real refresh: staging's health is polled until it is healthy, its caches are flushed
 * (or the summary says how long they may be stale), and the figures of the original log come
 * out: production 2026.01.11-d688bcd with 208 books, staging 2026.01.11-588327b with 163 books
 * before and 208 after.
 */

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function environments() {
  const [sourceDb, targetDb] = await Promise.all([newDatabase('after_prod'), newDatabase('after_staging')]);
  await Promise.all([seedCatalogue(sourceDb, { books: 208 }), seedCatalogue(targetDb, { books: 163, titlePrefix: 'Old ' })]);
  const apps = await startLogApps({ productionDb: sourceDb, stagingDb: targetDb });
  open.push(apps);
  const inputs = {
    mode: 'db-only',
    confirm: 'staging',
    'source-database-url': sourceDb,
    'target-database-url': targetDb,
    'source-api-url': apps.production.url,
    'target-api-url': apps.staging.url,
  };
  return { sourceDb, targetDb, ...apps, inputs };
}

const unhealthy = { database: { status: 'unhealthy' as const, schema_validated: false, error: 'warming up' } };

describe('a real refresh, end to end', () => {
  it('reproduces the original log: 208 books in production, staging 163 before and 208 after, healthy again', async () => {
    const env = await environments();
    const github = await startFakeGitHub({
      repository: 'acme/bookshelf',
      token: 'ghs_afterToken',
      comparisons: [{ base: LOG_VERSIONS.staging.git_sha, head: LOG_VERSIONS.production.git_sha, aheadBy: 3, files: ['README.md', 'docs/deploy.md'] }],
    });
    open.push(github);
    // Staging answers "unhealthy" twice right after the refresh (e.g. its pool reconnecting).
    env.staging.state.deepSequence = [{}, unhealthy, unhealthy];
    const reportDir = await mkdtemp(path.join(tmpdir(), 'p2s-report-'));
    try {
      const result = await runAction(
        { ...env.inputs, 'github-token': 'ghs_afterToken', 'post-check-timeout': '20s', 'cache-ttl': '5m' },
        { env: { ...S3_ENV, GITHUB_API_URL: github.apiUrl, RUNNER_TEMP: reportDir } },
      );
      expect(result.exitCode, result.log).toBe(0);
      expect(result.outputs.status).toBe('synced');
      expect(result.outputs['books-source']).toBe('208');
      expect(result.outputs['books-target-before']).toBe('163');
      expect(result.outputs['books-target-after']).toBe('208');
      expect(result.outputs['version-mismatch']).toBe('true');
      expect((await query<{ n: string }>(env.targetDb, 'SELECT count(*)::text AS n FROM books'))[0]!.n).toBe('208');

      const { summary } = result;
      expect(summary).toContain('## ✅ staging refreshed from production');
      expect(summary).toMatch(/\| production \| source \| `2026.01.11-d688bcd` \| `d688bcd` \| ✅ healthy \| — \| 208 \| 208 \|/);
      expect(summary).toMatch(/\| staging \| target \| `2026.01.11-588327b` \| `588327b` \| ✅ healthy \| ✅ healthy \| 163 \| 208 \|/);
      expect(summary).toContain('no migrations between them');
      expect(summary).toContain('staging was healthy again after 3 checks');
      expect(summary).toContain("staging's caches were not flushed (no `cache-flush-url`): cached data may be stale for up to 5m.");
      // Polling: one pre-flight read, then three post-flight checks.
      expect(env.staging.count('/health/deep')).toBe(4);

      // The same facts as JSON, for later steps.
      const file = result.outputs['report-file']!;
      expect(file.startsWith(reportDir)).toBe(true);
      const json = JSON.parse(await readFile(file, 'utf8'));
      expect(json).toMatchObject({
        reportVersion: 1,
        outcome: 'synced',
        bookCounts: { from: 'database', source: 208, targetBefore: 163, targetAfter: 208 },
        versionMismatch: true,
        versions: {
          source: { version: '2026.01.11-d688bcd', gitSha: 'd688bcd' },
          target: { version: '2026.01.11-588327b', gitSha: '588327b' },
          code: { compared: true, aheadBy: 3, filesChanged: 2, migrationFiles: [] },
          schema: { compared: true, differences: [] },
        },
        health: { targetAfter: { healthy: true, bookCount: 208 }, postCheck: { attempts: 3, healthy: true } },
        cache: { flushed: false, ttl: '5m' },
        outputs: { status: 'synced', 'books-target-after': '208' },
      });
      expect(JSON.stringify(json)).not.toContain(new URL(env.sourceDb).password);
    } finally {
      await rm(reportDir, { recursive: true, force: true });
    }
  });

  it('fails when staging does not come back healthy, saying the data was copied', async () => {
    const env = await environments();
    env.staging.state.database = unhealthy.database;
    env.staging.state.deepSequence = [{ database: { status: 'healthy', schema_validated: true } }];
    const result = await runAction({ ...env.inputs, 'post-check-timeout': '3s' }, { env: S3_ENV });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toContain('the data was copied but staging did not come back healthy within 3 s');
    expect(result.summary).toContain('failed at step “Post-flight: wait for staging to be healthy”');
    expect(result.summary).toContain('**staging is refreshed (the data was copied) but not healthy: database check is unhealthy (warming up).**');
    expect(result.summary).toMatch(/\| staging \| target \| `2026.01.11-588327b` \| `588327b` \| ✅ healthy \| ❌ database unhealthy \| 163 \| 208 \|/);
    // It kept polling for the whole timeout, not once.
    expect(env.staging.count('/health/deep')).toBeGreaterThanOrEqual(4);
  });
});

describe('cache flush', () => {
  it('POSTs to cache-flush-url with the token as a bearer token, and reports it', async () => {
    const env = await environments();
    env.staging.state.cacheFlushToken = 'flush-secret-789';
    const result = await runAction(
      { ...env.inputs, 'cache-flush-url': env.staging.cacheFlushUrl, 'cache-flush-token': 'flush-secret-789' },
      { env: S3_ENV },
    );
    expect(result.exitCode, result.log).toBe(0);
    const flush = env.staging.requests.filter((r) => r.path === '/admin/cache/flush');
    expect(flush).toHaveLength(1);
    expect(flush[0]!.method).toBe('POST');
    expect(flush[0]!.headers.authorization).toBe('Bearer flush-secret-789');
    expect(result.summary).toContain(`staging's caches were flushed (HTTP 204 from ${env.staging.cacheFlushUrl})`);
    expect(result.visibleLog + result.summary).not.toContain('flush-secret-789');
  });

  it('a failed flush is a warning, not a failed run', async () => {
    const env = await environments();
    env.staging.state.cacheFlushStatus = 500;
    const result = await runAction({ ...env.inputs, 'cache-flush-url': env.staging.cacheFlushUrl, 'cache-ttl': '5m' }, { env: S3_ENV });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('synced');
    // 5xx is retried like any other call.
    expect(env.staging.count('/admin/cache/flush')).toBe(3);
    expect(result.log).toContain("::warning::staging's caches could not be flushed (HTTP 500");
    expect(result.summary).toContain("⚠️ staging's caches could not be flushed (HTTP 500: {\"error\":\"redis: connection refused\"}); the data is refreshed, but cached data may be stale for up to 5m.");
  });
});
