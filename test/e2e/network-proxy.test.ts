import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub as startFakeGitHubApp } from '../harness/fake-github.js';
import { LOG_VERSIONS, startFakeGitHub, startLogApps, type FakeGitHub } from '../harness/fake-api.js';
import { startFakeAws, type FakeAws } from '../harness/fake-aws.js';
import { productionImages, seedCatalogue, stagingImages } from '../harness/fixtures.js';
import { startRecordingProxy, type RecordingProxy } from '../harness/recording-proxy.js';
import { runAction } from '../harness/run-action.js';
import { bucketSnapshot, newBucket, newDatabase, query, s3Endpoint } from '../harness/servers.js';

/**
 * A self-hosted runner behind a proxy: every HTTP call (health, GitHub compare, cache flush, STS,
 * S3, the OIDC token) goes through HTTPS_PROXY / HTTP_PROXY, except hosts NO_PROXY lists.
 */

const TOKEN = 'ghs_proxyTestToken123';
const ROLE = 'arn:aws:iam::222222222222:role/staging-refresh';
const SUB = 'repo:acme/bookshelf:environment:staging';

let sourceDb: string;
let targetDb: string;
let sourceBucket: string;
let targetBucket: string;
let apps: Awaited<ReturnType<typeof startLogApps>>;
let github: FakeGitHub;
let fake: FakeAws;
let proxy: RecordingProxy;

beforeAll(async () => {
  [sourceDb, targetDb] = await Promise.all([newDatabase('proxy_prod'), newDatabase('proxy_staging')]);
  await Promise.all([seedCatalogue(sourceDb, { books: 40 }), seedCatalogue(targetDb, { books: 7, titlePrefix: 'Old ' })]);
  [sourceBucket, targetBucket] = await Promise.all([newBucket('proxy-prod', productionImages(4)), newBucket('proxy-staging', stagingImages(1))]);
  apps = await startLogApps({ productionDb: sourceDb, stagingDb: targetDb });
  github = await startFakeGitHub({
    repository: 'acme/bookshelf',
    token: TOKEN,
    comparisons: [{ base: LOG_VERSIONS.staging.git_sha, head: LOG_VERSIONS.production.git_sha, aheadBy: 2, files: ['README.md'] }],
  });
  fake = await startFakeAws({
    roles: [{ arn: ROLE, account: '222222222222', trustedSub: SUB, readBuckets: [sourceBucket], writeBuckets: [targetBucket] }],
    oidcSub: SUB,
    s3Upstream: s3Endpoint(),
  });
  proxy = await startRecordingProxy();
});
afterAll(async () => {
  await Promise.all([apps.close(), github.close(), fake.close(), proxy.close()]);
});

const port = (url: string) => new URL(url).port;
const stsPort = () => port(fake.env.AWS_ENDPOINT_URL_STS!);

function refresh(env: Record<string, string>) {
  return runAction(
    {
      mode: 'full',
      confirm: 'staging',
      'source-database-url': sourceDb,
      'target-database-url': targetDb,
      'source-bucket': sourceBucket,
      'target-bucket': targetBucket,
      's3-endpoint': fake.s3Endpoint,
      'target-role-arn': ROLE,
      'source-api-url': apps.production.url,
      'target-api-url': apps.staging.url,
      'github-token': TOKEN,
      'cache-flush-url': apps.staging.cacheFlushUrl,
      'post-check-timeout': '10s',
    },
    { env: { ...fake.env, GITHUB_API_URL: github.apiUrl, ...env } },
  );
}

describe('HTTPS_PROXY / HTTP_PROXY / NO_PROXY', () => {
  it('health, compare, cache flush, STS, S3 and the OIDC token all pass through the proxy', async () => {
    proxy.calls.length = 0;
    const flushesBefore = apps.staging.count('/admin/cache/flush');
    // The OIDC host only resolves behind the proxy: the token request must go through it.
    const oidcUrl = fake.env.ACTIONS_ID_TOKEN_REQUEST_URL!.replace('127.0.0.1', 'token.actions.proxy-test');
    const result = await refresh({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, ACTIONS_ID_TOKEN_REQUEST_URL: oidcUrl });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain(`HTTP calls go through the runner's proxy (https: ${proxy.url}, http: ${proxy.url})`);
    // The refresh happened: staging has production's books and covers, its cache was flushed.
    const [row] = await query<{ n: string }>(targetDb, 'SELECT count(*) AS n FROM books');
    expect(Number(row!.n)).toBe(40);
    expect(Object.keys(await bucketSnapshot(targetBucket))).toContain('books/4/cover.jpg');
    expect(apps.staging.count('/admin/cache/flush')).toBe(flushesBefore + 1);

    const through = new Set(proxy.calls.map((c) => c.target));
    expect(through).toContain(`127.0.0.1:${port(apps.production.url)}`); // production's health
    expect(through).toContain(`127.0.0.1:${port(apps.staging.url)}`); // staging's health and cache flush
    expect(through).toContain(`127.0.0.1:${port(github.apiUrl)}`); // GitHub compare
    expect(through).toContain(`127.0.0.1:${stsPort()}`); // STS
    expect(through).toContain(`127.0.0.1:${port(fake.s3Endpoint)}`); // S3
    expect(through).toContain(`token.actions.proxy-test:${port(oidcUrl)}`); // the OIDC token
  });

  it('NO_PROXY=127.0.0.1 bypasses the proxy: nothing passes through it', async () => {
    proxy.calls.length = 0;
    const result = await refresh({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('except NO_PROXY 127.0.0.1');
    expect(proxy.calls).toEqual([]);
  });

  it('a proxy password is masked, and a malformed proxy is a clear error', async () => {
    const withPassword = `http://ci:pr0xy-s3cret@127.0.0.1:${port(proxy.url)}`;
    proxy.calls.length = 0;
    const result = await refresh({ HTTPS_PROXY: withPassword, HTTP_PROXY: withPassword });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('::add-mask::pr0xy-s3cret');
    expect(result.visibleLog).not.toContain('pr0xy-s3cret');
    expect(proxy.calls.some((c) => c.auth === `Basic ${Buffer.from('ci:pr0xy-s3cret').toString('base64')}`)).toBe(true);

    const bad = await refresh({ HTTPS_PROXY: 'socks5://proxy.internal:1080' });
    expect(bad.exitCode).toBe(1);
    expect(bad.log).toContain("The runner's HTTPS_PROXY must be an http:// or https:// proxy, got socks5://.");
  });

  it('the comment trigger\'s GitHub calls (permission, reactions, reply) pass through the proxy too', async () => {
    const app = await startFakeGitHubApp();
    app.setRole('maya', 'maintain');
    const eventPath = path.join(tmpdir(), `p2s-proxy-event-${process.pid}.json`);
    await writeFile(
      eventPath,
      JSON.stringify({
        action: 'created',
        issue: { number: 42, pull_request: { url: 'https://api.github.com/repos/acme/bookshelf/pulls/42' } },
        comment: { id: 777, body: '/refresh-staging staging images-only', user: { login: 'maya', type: 'User' } },
        repository: { full_name: 'acme/bookshelf' },
        sender: { login: 'maya', type: 'User' },
      }),
    );
    proxy.calls.length = 0;
    try {
      const result = await runAction(
        { 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': fake.s3Endpoint, 'target-role-arn': ROLE, 'github-token': TOKEN },
        { env: { ...fake.env, GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: eventPath, GITHUB_API_URL: app.url, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url } },
      );
      expect(result.exitCode, result.log).toBe(0);
      expect(app.reactions).toEqual(['777:eyes', '777:rocket']);
      expect(proxy.calls.map((c) => c.target)).toContain(`127.0.0.1:${port(app.url)}`);
    } finally {
      await Promise.all([app.close(), rm(eventPath, { force: true })]);
    }
  });
});
