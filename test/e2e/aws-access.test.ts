import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionImages, seedCatalogue, stagingImages } from '../harness/fixtures.js';
import { startFakeAws, type FakeAws, type FakeAwsOptions } from '../harness/fake-aws.js';
import { PG_PASSWORD } from '../harness/postgres.js';
import { runAction, type ActionRun } from '../harness/run-action.js';
import { bucketSnapshot, newBucket, newDatabase, query, s3Endpoint } from '../harness/servers.js';

const PROD_ACCOUNT = '111111111111';
const STAGING_ACCOUNT = '222222222222';
const PROD_ROLE = `arn:aws:iam::${PROD_ACCOUNT}:role/staging-refresh-reader`;
const STAGING_ROLE = `arn:aws:iam::${STAGING_ACCOUNT}:role/staging-refresh-writer`;
const SUB = 'repo:acme/bookshelf:environment:staging';

let sourceDb: string;
let targetDb: string;
let sourceBucket: string;
let targetBucket: string;
const fakes: FakeAws[] = [];

beforeAll(async () => {
  [sourceDb, targetDb] = await Promise.all([newDatabase('aws_prod'), newDatabase('aws_staging')]);
  await Promise.all([
    seedCatalogue(sourceDb, { books: 208 }),
    seedCatalogue(targetDb, { books: 163, titlePrefix: 'Old ' }),
  ]);
  [sourceBucket, targetBucket] = await Promise.all([newBucket('aws-prod', productionImages(12)), newBucket('aws-staging', stagingImages(5))]);
});
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

/** An RDS-style secret for one of the test databases. */
function rdsSecret(url: string): string {
  const u = new URL(url);
  return JSON.stringify({
    engine: 'postgres',
    host: u.hostname,
    port: Number(u.port),
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    dbname: u.pathname.slice(1),
    sslmode: 'disable',
  });
}

/** Production's role reads production's bucket and secret; staging's writes staging's. */
async function fakeAws(overrides: Partial<FakeAwsOptions> = {}): Promise<FakeAws> {
  const fake = await startFakeAws({
    roles: [
      { arn: PROD_ROLE, account: PROD_ACCOUNT, trustedSub: SUB, readBuckets: [sourceBucket] },
      { arn: STAGING_ROLE, account: STAGING_ACCOUNT, trustedSub: 'repo:acme/bookshelf:environment:*', writeBuckets: [targetBucket] },
    ],
    oidcSub: SUB,
    secrets: {
      'prod/db': { value: rdsSecret(sourceDb), readers: [PROD_ROLE] },
      'staging/db': { value: rdsSecret(targetDb), readers: [STAGING_ROLE] },
    },
    s3Upstream: s3Endpoint(),
    ...overrides,
  });
  fakes.push(fake);
  return fake;
}

const run = (fake: FakeAws, inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction(inputs, { env: { ...fake.env, ...env } });

/** An images-only dry run reading production with its role and staging with its own. */
const imagesDryRunWithTwoRoles = (fake: FakeAws) => ({
  mode: 'images-only',
  'dry-run': 'true',
  'source-bucket': sourceBucket,
  'target-bucket': targetBucket,
  's3-endpoint': fake.s3Endpoint,
  'source-role-arn': PROD_ROLE,
  'target-role-arn': STAGING_ROLE,
});

function expectNoCredentials(result: ActionRun, fake: FakeAws, extra: string[] = []) {
  const secrets = [...fake.issuedSecrets, ...extra].filter((s) => s.length >= 6);
  expect(secrets.length).toBeGreaterThan(0);
  for (const text of [result.visibleLog, result.summary, JSON.stringify(result.outputs)]) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
}

describe('roles per side', () => {
  it('assumes each side its own role; production read with its role, staging written with its own (streamed across accounts)', async () => {
    const fake = await fakeAws();
    const result = await run(fake, {
      mode: 'images-only',
      confirm: 'staging',
      'source-bucket': sourceBucket,
      'target-bucket': targetBucket,
      's3-endpoint': fake.s3Endpoint,
      'source-role-arn': PROD_ROLE,
      'target-role-arn': STAGING_ROLE,
      'role-session-name': 'acme/bookshelf run#77',
    });
    expect(result.exitCode, result.log).toBe(0);
    // The staging bucket now holds production's covers, byte for byte.
    const staged = await bucketSnapshot(targetBucket);
    expect(Buffer.from(staged['books/1/cover.jpg']!, 'base64').toString()).toBe('cover of book 1 '.repeat(20));
    expect(Object.keys(staged)).toContain('books/12/cover.jpg');
    expect(staged['lambda/api.zip']).toBeUndefined();

    const assumed = fake.calls.filter((c) => c.service === 'sts' && c.action === 'AssumeRoleWithWebIdentity' && c.status === 200);
    expect(assumed.map((c) => c.params.RoleArn).sort()).toEqual([STAGING_ROLE, PROD_ROLE].sort());
    expect(assumed.every((c) => c.params.RoleSessionName === 'acme-bookshelf-run-77')).toBe(true);
    expect(assumed.every((c) => c.params.DurationSeconds === '3600')).toBe(true);
    // Every S3 request was allowed, and each role touched only its own side's bucket.
    const s3 = fake.calls.filter((c) => c.service === 's3');
    expect(s3.filter((c) => c.status !== 200)).toEqual([]);
    expect(new Set(s3.filter((c) => c.caller === PROD_ROLE).map((c) => c.params.bucket))).toEqual(new Set([sourceBucket]));
    expect(new Set(s3.filter((c) => c.caller === STAGING_ROLE).map((c) => c.params.bucket))).toEqual(new Set([targetBucket]));
    expect(s3.some((c) => c.caller === STAGING_ROLE && c.action.startsWith('PUT'))).toBe(true);
    expect(result.log).toMatch(/Copying \d+ objects .* from production to staging, stream,/);
    // The log names accounts and roles, never keys.
    expect(result.log).toContain(`production: assumed arn:aws:sts::${PROD_ACCOUNT}:assumed-role/staging-refresh-reader`);
    expect(result.log).toContain(`staging: assumed arn:aws:sts::${STAGING_ACCOUNT}:assumed-role/staging-refresh-writer`);
    expect(result.summary).toContain('AWS access');
    expectNoCredentials(result, fake);
    // ... and every key and token was masked for the runner.
    for (const secret of fake.issuedSecrets.filter((s) => s.startsWith('FQoG') || s.split('.').length === 3)) {
      expect(result.log).toContain(`::add-mask::${secret}`);
    }
  });

  it('reads each database secret with its own side\'s role, and never prints the values', async () => {
    const fake = await fakeAws();
    const result = await run(fake, {
      mode: 'db-only',
      'dry-run': 'true',
      'source-database-secret-id': 'prod/db',
      'target-database-secret-id': 'staging/db',
      'source-role-arn': PROD_ROLE,
      'target-role-arn': STAGING_ROLE,
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['books-source']).toBe('208');
    expect(result.outputs['books-target-before']).toBe('163');
    const reads = fake.calls.filter((c) => c.service === 'secretsmanager');
    expect(reads.map((c) => [c.params.SecretId, c.caller, c.status])).toEqual([
      ['prod/db', PROD_ROLE, 200],
      ['staging/db', STAGING_ROLE, 200],
    ]);
    expect(result.summary).toContain('database credentials of production and staging read from Secrets Manager');
    expectNoCredentials(result, fake, [PG_PASSWORD, new URL(sourceDb).pathname.slice(1), new URL(targetDb).pathname.slice(1)]);
  });

  it('one role serves both sides; no role means the default credential chain', async () => {
    const fake = await fakeAws({
      roles: [{ arn: STAGING_ROLE, account: STAGING_ACCOUNT, trustedSub: SUB, readBuckets: [sourceBucket], writeBuckets: [targetBucket] }],
    });
    const inputs = { mode: 'images-only', 'dry-run': 'true', 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': fake.s3Endpoint };
    const withRole = await run(fake, { ...inputs, 'target-role-arn': STAGING_ROLE });
    expect(withRole.exitCode, withRole.log).toBe(0);
    const assumed = fake.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity');
    expect(assumed).toHaveLength(1);
    // The default session name: repository and run id (GITHUB_REPOSITORY / GITHUB_RUN_ID of the run).
    expect(assumed[0]!.params.RoleSessionName).toBe('acme-bookshelf-run-1234');
    expect(new Set(fake.calls.filter((c) => c.service === 's3').map((c) => c.caller))).toEqual(new Set([STAGING_ROLE]));
    expect(withRole.summary).toContain('both sides: role `staging-refresh-writer`');

    const before = fake.calls.length;
    const noRole = await run(fake, inputs, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    expect(noRole.exitCode, noRole.log).toBe(0);
    const later = fake.calls.slice(before);
    expect(later.filter((c) => c.service === 'oidc' || c.service === 'sts')).toEqual([]);
    expect(new Set(later.filter((c) => c.service === 's3').map((c) => c.caller))).toEqual(new Set(['default']));
    expect(noRole.summary).not.toContain('AWS access');
  });
});

describe('a full refresh across two accounts', () => {
  it('images streamed and the database copied, each side with its own role and secret', async () => {
    const [prodDb, stagingDb] = await Promise.all([newDatabase('aws_full_prod'), newDatabase('aws_full_staging')]);
    await Promise.all([seedCatalogue(prodDb, { books: 40 }), seedCatalogue(stagingDb, { books: 7, titlePrefix: 'Old ' })]);
    const fake = await fakeAws({
      secrets: {
        'prod/db': { value: rdsSecret(prodDb), readers: [PROD_ROLE] },
        'staging/db': { value: rdsSecret(stagingDb), readers: [STAGING_ROLE] },
      },
    });
    const result = await run(fake, {
      mode: 'full',
      confirm: 'staging',
      'source-bucket': sourceBucket,
      'target-bucket': targetBucket,
      's3-endpoint': fake.s3Endpoint,
      'source-database-secret-id': 'prod/db',
      'target-database-secret-id': 'staging/db',
      'source-role-arn': PROD_ROLE,
      'target-role-arn': STAGING_ROLE,
      'target-account-id': STAGING_ACCOUNT,
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['books-target-after']).toBe('40');
    expect(await query(stagingDb, `SELECT count(*)::int AS n FROM books WHERE title LIKE 'Old %'`)).toEqual([{ n: 0 }]);
    expect(result.summary.indexOf('AWS access')).toBeLessThan(result.summary.indexOf('Copy images'));
    expect(new Set(fake.calls.filter((c) => c.service === 's3').map((c) => `${c.caller} ${c.params.bucket}`))).toEqual(
      new Set([`${PROD_ROLE} ${sourceBucket}`, `${STAGING_ROLE} ${targetBucket}`]),
    );
    expectNoCredentials(result, fake, [PG_PASSWORD]);
  });
});

describe('retries', () => {
  it('retries throttling and IdP errors with backoff, with a fresh OIDC token each attempt', async () => {
    const fake = await fakeAws({ throttleFirst: 2, idpErrorsFirst: 1 });
    const result = await run(fake, {
      ...imagesDryRunWithTwoRoles(fake),
    });
    expect(result.exitCode, result.log).toBe(0);
    const attempts = fake.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity');
    expect(attempts.map((c) => c.status)).toEqual([400, 400, 400, 200, 200]);
    const tokens = fake.calls.filter((c) => c.service === 'oidc').map((c) => c.params.jwt);
    expect(tokens).toHaveLength(5);
    expect(new Set(tokens).size).toBe(5);
    expect(result.log).toMatch(/production: assumed .* after 4 attempts/);
    expectNoCredentials(result, fake);
  });

  it('renews role credentials that are about to expire (runs longer than role-duration-seconds)', async () => {
    // Credentials that expire in 2 minutes are inside the 5-minute renewal margin: every use renews them.
    const fake = await fakeAws({ credentialLifetimeSeconds: 120 });
    const result = await run(fake, {
      mode: 'images-only',
      'dry-run': 'true',
      'source-bucket': sourceBucket,
      'target-bucket': targetBucket,
      's3-endpoint': fake.s3Endpoint,
      'target-role-arn': STAGING_ROLE,
      'source-role-arn': PROD_ROLE,
    });
    expect(result.exitCode, result.log).toBe(0);
    const assumed = fake.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity' && c.status === 200);
    expect(assumed.filter((c) => c.params.RoleArn === PROD_ROLE).length).toBeGreaterThan(1);
    expect(fake.calls.filter((c) => c.service === 's3' && c.status !== 200)).toEqual([]);
    expectNoCredentials(result, fake);
  });
});

describe('errors that say what to do', () => {
  it('without id-token permission: shows the permissions block to add, touches nothing', async () => {
    const fake = await fakeAws();
    const before = await bucketSnapshot(targetBucket);
    const result = await run(
      fake,
      {
        mode: 'images-only',
        confirm: 'staging',
        'source-bucket': sourceBucket,
        'target-bucket': targetBucket,
        's3-endpoint': fake.s3Endpoint,
        'target-role-arn': STAGING_ROLE,
      },
      { ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' },
    );
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toContain('grant `permissions: id-token: write` to the calling job');
    expect(result.log).toContain('the job that calls the reusable workflow');
    expect(result.log).toMatch(/permissions:%0A {2}id-token: write/);
    expect(result.summary).toContain('id-token: write');
    expect(result.summary).toContain('unchanged');
    expect(fake.calls.filter((c) => c.service === 's3')).toEqual([]);
    expect(await bucketSnapshot(targetBucket)).toEqual(before);
  });

  it('STS AccessDenied: names the role, the trust-policy cause and the token\'s sub, never the token', async () => {
    const fake = await fakeAws({ oidcSub: 'repo:acme/bookshelf:ref:refs/heads/main' });
    const result = await run(fake, {
      ...imagesDryRunWithTwoRoles(fake),
    });
    expect(result.exitCode).toBe(1);
    const message = result.visibleLog;
    expect(message).toContain(`AWS refused to let this workflow assume \`${PROD_ROLE}\``);
    expect(message).toContain('AccessDenied');
    expect(message).toContain('trust policy');
    expect(message).toContain('`token.actions.githubusercontent.com:sub` is `repo:acme/bookshelf:ref:refs/heads/main`');
    expect(message).toContain('`token.actions.githubusercontent.com:aud` is `sts.amazonaws.com`');
    // Access denied is not retried.
    expect(fake.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity')).toHaveLength(1);
    expectNoCredentials(result, fake);
  });

  it('target-account-id: refuses before doing anything when staging\'s credentials are in another account', async () => {
    const fake = await fakeAws();
    const before = await bucketSnapshot(targetBucket);
    const result = await run(fake, {
      mode: 'images-only',
      confirm: 'staging',
      'source-bucket': sourceBucket,
      'target-bucket': targetBucket,
      's3-endpoint': fake.s3Endpoint,
      // The production role given for staging by mistake.
      'target-role-arn': PROD_ROLE,
      'target-account-id': STAGING_ACCOUNT,
    });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain(`belong to account ${PROD_ACCOUNT}, not \`target-account-id\` ${STAGING_ACCOUNT}`);
    expect(fake.calls.filter((c) => c.service === 's3')).toEqual([]);
    expect(await bucketSnapshot(targetBucket)).toEqual(before);

    const right = await run(fake, {
      ...imagesDryRunWithTwoRoles(fake),
      'target-account-id': STAGING_ACCOUNT,
    });
    expect(right.exitCode, right.log).toBe(0);
    expect(right.summary).toContain(`staging is in account ${STAGING_ACCOUNT} as required`);
  });

  it('a role that may not read a secret: the error names the secret, the side\'s role and the permission', async () => {
    const fake = await fakeAws();
    const result = await run(fake, {
      mode: 'db-only',
      'dry-run': 'true',
      // Staging's secret given as production's: production's role may not read it.
      'source-database-secret-id': 'staging/db',
      'target-database-secret-id': 'staging/db',
      'source-role-arn': PROD_ROLE,
      'target-role-arn': STAGING_ROLE,
    });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain("could not read secret `staging/db` (production's database, read with role `staging-refresh-reader` (account 111111111111)): AccessDeniedException");
    expect(result.log).toContain('need `secretsmanager:GetSecretValue` on this secret');
    expectNoCredentials(result, fake);
  });

  it('input problems: URL and secret for one side, a malformed role ARN, lambda without a function', async () => {
    const fake = await fakeAws();
    const result = await run(fake, {
      mode: 'db-only',
      'dry-run': 'true',
      'source-database-url': sourceDb,
      'source-database-secret-id': 'prod/db',
      'target-role-arn': 'staging-refresh-writer',
      'role-duration-seconds': '60',
    });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`source-database-url` and `source-database-secret-id` are both set');
    expect(result.log).toContain('`target-role-arn` must be an IAM role ARN');
    expect(result.log).toContain('`role-duration-seconds` must be a whole number from 900 to 43200');
    expect(result.log).toContain('`target-database-url` (or `target-database-secret-id`) is required');
    expect(fake.calls).toEqual([]);
  });
});
