import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_VERSIONS, startFakeApp, startFakeGitHub, type FakeApp, type FakeGitHub } from '../harness/fake-api.js';
import { startFakeAws, type FakeAws } from '../harness/fake-aws.js';
import { runAction, type ActionRun } from '../harness/run-action.js';
import { newBucket, newDatabase, S3_ENV, s3Endpoint } from '../harness/servers.js';

/**
 * Every network call has a bounded wait: a service that accepts the connection and then never
 * answers (or stops in the middle of its answer) fails the run in bounded time, with a message
 * that names the service and says what to do. `network-timeout` makes the bounds short here.
 */

const STAGING_ACCOUNT = '222222222222';
const STAGING_ROLE = `arn:aws:iam::${STAGING_ACCOUNT}:role/staging-refresh`;
const SUB = 'repo:acme/bookshelf:environment:staging';
const SECRET_ID = 'staging/db';
const TOKEN = 'ghs_timeoutTestToken123';

let fake: FakeAws;
let sourceDb: string;
let sourceBucket: string;
let targetBucket: string;

beforeAll(async () => {
  [sourceDb, sourceBucket, targetBucket] = await Promise.all([
    newDatabase('net_prod'),
    newBucket('net-prod', [{ key: 'covers/1.jpg', body: 'one' }]),
    newBucket('net-staging'),
  ]);
  fake = await startFakeAws({
    roles: [{ arn: STAGING_ROLE, account: STAGING_ACCOUNT, trustedSub: SUB, readBuckets: [sourceBucket], writeBuckets: [targetBucket] }],
    oidcSub: SUB,
    defaultIdentity: { account: STAGING_ACCOUNT, arn: `arn:aws:iam::${STAGING_ACCOUNT}:user/ci` },
    secrets: { [SECRET_ID]: { value: '{"host":"db","username":"u","password":"pw-never-shown","dbname":"app"}', readers: ['default'] } },
    s3Upstream: s3Endpoint(),
  });
});
afterAll(() => fake.close());

/** Runs the action and measures how long it took, in seconds. */
async function timed(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun & { seconds: number }> {
  const started = Date.now();
  const result = await runAction({ 'network-timeout': '1s', ...inputs }, { env: { ...fake.env, ...env }, timeoutMs: 60_000 });
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

const imagesDryRun = { mode: 'images-only', 'dry-run': 'true', 'source-bucket': '', 'target-bucket': '', 's3-endpoint': '' };

describe('AWS services that accept and never answer', () => {
  it('STS AssumeRoleWithWebIdentity: retried with backoff, then a clear failure', async () => {
    fake.hang.sts = 'no-answer';
    try {
      const result = await timed({ ...imagesDryRun, 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': fake.s3Endpoint, 'target-role-arn': STAGING_ROLE });
      expect(result.exitCode, result.log).toBe(1);
      expect(result.seconds).toBeLessThan(45);
      expect(result.log).toContain(`STS did not answer AssumeRoleWithWebIdentity for \`${STAGING_ROLE}\` (no answer within 1 s, 6 attempts with backoff)`);
      expect(result.log).toContain('raise `network-timeout`');
      expect(result.summary).toContain('STS did not answer');
      expect(fake.calls.filter((c) => c.service === 'sts' && c.action === 'hang').length).toBeGreaterThanOrEqual(6);
    } finally {
      delete fake.hang.sts;
    }
  });

  it('STS GetCallerIdentity (the account guard with the default chain)', async () => {
    fake.hang.sts = 'mid-body';
    try {
      const result = await timed(
        { ...imagesDryRun, 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': fake.s3Endpoint, 'target-account-id': STAGING_ACCOUNT },
        S3_ENV,
      );
      expect(result.exitCode, result.log).toBe(1);
      expect(result.seconds).toBeLessThan(30);
      expect(result.log).toMatch(/STS did not answer GetCallerIdentity \((no answer within|nothing received for) 1 s, 3 attempts\)/);
    } finally {
      delete fake.hang.sts;
    }
  });

  it('Secrets Manager GetSecretValue', async () => {
    fake.hang.secretsmanager = 'no-answer';
    try {
      const result = await timed(
        { mode: 'db-only', 'dry-run': 'true', 'source-database-url': sourceDb, 'target-database-secret-id': SECRET_ID },
        S3_ENV,
      );
      expect(result.exitCode, result.log).toBe(1);
      expect(result.seconds).toBeLessThan(30);
      expect(result.log).toContain(`could not read secret \`${SECRET_ID}\``);
      expect(result.log).toContain('Secrets Manager did not answer (no answer within 1 s, 3 attempts)');
      expect(result.log).not.toContain('pw-never-shown');
    } finally {
      delete fake.hang.secretsmanager;
    }
  });

  it.each(['no-answer', 'mid-body'] as const)('S3 (%s): a silent connection fails after 4 × network-timeout per attempt, not never', async (mode) => {
    fake.hang.s3 = mode;
    try {
      const result = await timed(
        { ...imagesDryRun, 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': fake.s3Endpoint, 'network-timeout': '500ms' },
        S3_ENV,
      );
      expect(result.exitCode, result.log).toBe(1);
      expect(result.seconds).toBeLessThan(45);
      expect(result.log).toMatch(/S3 did not answer ListObjectsV2 on bucket `net-(prod|staging)-[0-9a-f]+` at `s3-endpoint` http:\/\/127\.0\.0\.1:\d+ \((no answer|nothing received for 2 s), 5 attempts\)/);
      expect(result.log).toContain('raise `network-timeout`');
    } finally {
      delete fake.hang.s3;
    }
  });
});

describe('HTTP APIs that accept and never answer', () => {
  let production: FakeApp;
  let staging: FakeApp;
  let github: FakeGitHub;

  beforeAll(async () => {
    [production, staging, github] = await Promise.all([
      startFakeApp({ environment: 'production', ...LOG_VERSIONS.production }),
      startFakeApp({ environment: 'staging', ...LOG_VERSIONS.staging }),
      startFakeGitHub({
        repository: 'acme/bookshelf',
        token: TOKEN,
        comparisons: [{ base: LOG_VERSIONS.staging.git_sha, head: LOG_VERSIONS.production.git_sha, aheadBy: 3, files: ['README.md'] }],
      }),
    ]);
  });
  afterAll(() => Promise.all([production.close(), staging.close(), github.close()]));

  const withApis = () => ({
    ...imagesDryRun,
    'source-bucket': sourceBucket,
    'target-bucket': targetBucket,
    's3-endpoint': s3Endpoint(),
    'source-api-url': production.url,
    'target-api-url': staging.url,
    'github-token': TOKEN,
  });

  it.each(['no-answer', 'mid-body'] as const)("production's health API (%s): retried, then the run stops before changing anything", async (mode) => {
    production.state.hang = { mode };
    try {
      const result = await timed(withApis(), { ...S3_ENV, GITHUB_API_URL: github.apiUrl });
      expect(result.exitCode, result.log).toBe(1);
      expect(result.seconds).toBeLessThan(30);
      expect(result.log).toContain('production is not healthy: health/deep: unreachable (no complete answer within 1 s (`network-timeout`))');
      expect(result.log).toContain('check `source-api-url`');
      expect(production.count('/health/deep')).toBeGreaterThanOrEqual(3);
    } finally {
      delete production.state.hang;
    }
  });

  it('GitHub compare API: the version comparison says it could not be made, and the run goes on', async () => {
    github.hang = 'no-answer';
    try {
      const result = await timed(withApis(), { ...S3_ENV, GITHUB_API_URL: github.apiUrl });
      expect(result.exitCode, result.log).toBe(0);
      expect(result.seconds).toBeLessThan(30);
      expect(result.summary).toContain(`the GitHub API at ${github.apiUrl} could not be reached (no complete answer within 1 s (\`network-timeout\`))`);
    } finally {
      delete github.hang;
    }
  });
});

describe('network-timeout input', () => {
  it('must be a duration from 100ms to 10m', async () => {
    const result = await runAction({ ...imagesDryRun, 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 'network-timeout': '2h' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`network-timeout` must be from 100ms to 10m, got `2h`.');
  });
});
