import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRoutesApp, type RoutesApp } from '../harness/fake-api.js';
import { productionImages, stagingImages } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { newBucket, S3_ENV, s3Endpoint } from '../harness/servers.js';

/** The health contract: apps whose health API is not shaped like the first app's. */

let sourceBucket: string;
let targetBucket: string;
const open: { close(): Promise<unknown> }[] = [];

beforeAll(async () => {
  [sourceBucket, targetBucket] = await Promise.all([newBucket('contract-prod', productionImages(3)), newBucket('contract-staging', stagingImages(1))]);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** One `/api/status` answering everything, nested under `data`. */
const statusBody = (state: string, rows: number, sha = 'a1b2c3d4e5f6') => ({
  data: { state, build: { version: `v${rows}.0`, sha }, db: { migrated: true, rows } },
});

async function app(routes: RoutesApp['routes']): Promise<RoutesApp> {
  const started = await startRoutesApp(routes);
  open.push(started);
  return started;
}

const imagesDryRun = (production: RoutesApp, staging: RoutesApp, extra: Record<string, string>) =>
  runAction(
    {
      mode: 'images-only',
      'dry-run': 'true',
      'source-bucket': sourceBucket,
      'target-bucket': targetBucket,
      's3-endpoint': s3Endpoint(),
      'source-api-url': production.url,
      'target-api-url': staging.url,
      ...extra,
    },
    { env: S3_ENV },
  );

const nestedContract = {
  'health-info-path': '/api/status',
  'health-deep-path': '/api/status',
  'health-status-field': 'data.state',
  'health-healthy-values': 'ok\nup',
  'health-schema-field': 'data.db.migrated',
  'health-count-field': 'data.db.rows',
  'health-version-field': 'data.build.version',
  'health-git-sha-field': 'data.build.sha',
};

describe('health contract', () => {
  it('reads status, schema check, count, version and SHA from the paths and fields the inputs name', async () => {
    const production = await app({ '/api/status': { status: 200, body: statusBody('ok', 208) } });
    const staging = await app({ '/api/status': { status: 200, body: statusBody('up', 163) } });
    const result = await imagesDryRun(production, staging, nestedContract);
    expect(result.exitCode, result.log).toBe(0);
    // One request per environment: both paths are the same.
    expect(production.count('/api/status')).toBe(1);
    expect(result.outputs['books-source']).toBe('208');
    expect(result.outputs['books-target-before']).toBe('163');
    expect(result.summary).toMatch(/\| production \| source \| `v208\.0` \| `a1b2c3d4e5f6` \| ✅ healthy \|/);
    expect(result.summary).toContain('Book counts: `data.db.rows` from each health API');
    expect(result.summary).toContain(
      'Health read: `GET /api/status` (JSON): healthy when `data.state` is `ok` or `up` and `data.db.migrated` is true; read version `data.build.version`, git SHA `data.build.sha`, count `data.db.rows`.',
    );
  });

  it('a status outside the healthy values stops the run, naming the field', async () => {
    const production = await app({ '/api/status': { status: 200, body: statusBody('degraded', 208) } });
    const staging = await app({ '/api/status': { status: 200, body: statusBody('ok', 163) } });
    const result = await imagesDryRun(production, staging, nestedContract);
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('production is not healthy: `data.state` is degraded');
  });

  it('`health-mode: http-200`: any 2xx of the deep path is healthy, the body is not read', async () => {
    const production = await app({ '/healthz': { status: 200, body: 'OK' } });
    const staging = await app({ '/healthz': { status: 204 } });
    const inputs = { 'health-mode': 'http-200', 'health-deep-path': '/healthz' };
    const result = await imagesDryRun(production, staging, inputs);
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('production: HTTP 2xx; staging: HTTP 2xx');
    expect(result.summary).toContain('Health read: `GET /health/info` and `GET /healthz` (`health-mode: http-200`): healthy when `/healthz` answers HTTP 2xx');

    production.routes['/healthz'] = { status: 503, body: 'maintenance' };
    const down = await imagesDryRun(production, staging, inputs);
    expect(down.exitCode).toBe(1);
    expect(down.log).toContain('production is not healthy: healthz: HTTP 503 from /healthz');
  });

  it('the defaults stay the first app\'s contract; a malformed field path is an input error', async () => {
    const production = await app({ '/api/status': { status: 200, body: statusBody('ok', 208) } });
    const result = await imagesDryRun(production, production, { 'health-count-field': 'data..rows', 'health-deep-path': 'api/status' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`health-count-field` must be a dotted path into the JSON answer (e.g. `checks.database.book_count` or `data.build.sha`), or `none` to not read it, got `data..rows`.');
    expect(result.log).toContain('`health-deep-path` must be a path on the API starting with `/` (e.g. `/health/deep`), got `api/status`.');
  });
});
