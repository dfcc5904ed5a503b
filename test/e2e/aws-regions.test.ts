import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionImages, seedCatalogue, stagingImages } from '../harness/fixtures.js';
import { startFakeAws, type FakeAws } from '../harness/fake-aws.js';
import { startRegionRedirect, type RegionRedirect } from '../harness/region-redirect.js';
import { runAction } from '../harness/run-action.js';
import { bucketSnapshot, newBucket, newDatabase, S3_ENV, s3Endpoint } from '../harness/servers.js';

const PROD_ROLE = 'arn:aws:iam::111111111111:role/staging-refresh-reader';
const STAGING_ROLE = 'arn:aws:iam::222222222222:role/staging-refresh-writer';
const SUB = 'repo:acme/bookshelf:environment:staging';
const STAGING_SECRET_ARN = 'arn:aws:secretsmanager:ca-central-1:222222222222:secret:staging/db-AbCdEf';

let sourceDb: string;
let targetDb: string;
let sourceBucket: string;
let targetBucket: string;
const closers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  [sourceDb, targetDb] = await Promise.all([newDatabase('region_prod'), newDatabase('region_staging')]);
  await Promise.all([seedCatalogue(sourceDb, { books: 12 }), seedCatalogue(targetDb, { books: 3, titlePrefix: 'Old ' })]);
  [sourceBucket, targetBucket] = await Promise.all([newBucket('region-prod', productionImages(6)), newBucket('region-staging', stagingImages(2))]);
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c.close()));
});

function rdsSecret(url: string): string {
  const u = new URL(url);
  return JSON.stringify({ host: u.hostname, port: Number(u.port), username: decodeURIComponent(u.username), password: decodeURIComponent(u.password), dbname: u.pathname.slice(1), sslmode: 'disable' });
}

async function fakeAws(): Promise<FakeAws> {
  const fake = await startFakeAws({
    roles: [
      { arn: PROD_ROLE, account: '111111111111', trustedSub: SUB, readBuckets: [sourceBucket] },
      { arn: STAGING_ROLE, account: '222222222222', trustedSub: SUB, writeBuckets: [targetBucket] },
    ],
    oidcSub: SUB,
    secrets: {
      'prod/db': { value: rdsSecret(sourceDb), readers: [PROD_ROLE] },
      [STAGING_SECRET_ARN]: { value: rdsSecret(targetDb), readers: [STAGING_ROLE] },
    },
    s3Upstream: s3Endpoint(),
  });
  closers.push(fake);
  return fake;
}

/** The regions each service was called in, as `service caller region` (sorted, unique). */
const regionsUsed = (fake: FakeAws) =>
  [...new Set(fake.calls.filter((c) => c.status === 200 && c.region).map((c) => `${c.service} ${c.caller === PROD_ROLE ? 'source' : c.caller === STAGING_ROLE ? 'target' : c.caller} ${c.region}`))].sort();

describe('AWS regions', () => {
  it('an empty `aws-region` uses the runner\'s AWS_REGION (as configure-aws-credentials exports it)', async () => {
    const fake = await fakeAws();
    const result = await runAction(
      { mode: 'images-only', 'dry-run': 'true', 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': fake.s3Endpoint, 'source-role-arn': PROD_ROLE, 'target-role-arn': STAGING_ROLE, 'aws-region': '' },
      { env: { ...fake.env, AWS_REGION: 'eu-north-1', AWS_DEFAULT_REGION: 'sa-east-1' } },
    );
    expect(result.exitCode, result.log).toBe(0);
    expect(regionsUsed(fake)).toEqual(['s3 source eu-north-1', 's3 target eu-north-1', 'sts source eu-north-1', 'sts target eu-north-1']);
  });

  it('AWS_DEFAULT_REGION serves when AWS_REGION is unset; a bad one is a clear input error', async () => {
    const fake = await fakeAws();
    const inputs = { mode: 'images-only', 'dry-run': 'true', 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': fake.s3Endpoint, 'source-role-arn': PROD_ROLE, 'target-role-arn': STAGING_ROLE };
    const result = await runAction(inputs, { env: { ...fake.env, AWS_DEFAULT_REGION: 'sa-east-1' } });
    expect(result.exitCode, result.log).toBe(0);
    expect(regionsUsed(fake)).toEqual(['s3 source sa-east-1', 's3 target sa-east-1', 'sts source sa-east-1', 'sts target sa-east-1']);

    const bad = await runAction(inputs, { env: { ...fake.env, AWS_REGION: 'moon' } });
    expect(bad.exitCode).toBe(1);
    expect(bad.log).toContain("The runner's AWS_REGION (or AWS_DEFAULT_REGION), used since `aws-region` is empty, must be an AWS region such as us-east-1, got `moon`");
  });

  it('each side uses its own region for S3, STS and Secrets Manager; a secret ARN\'s region wins', async () => {
    const fake = await fakeAws();
    const result = await runAction(
      {
        mode: 'full',
        'dry-run': 'true',
        'source-bucket': sourceBucket,
        'target-bucket': targetBucket,
        's3-endpoint': fake.s3Endpoint,
        'source-role-arn': PROD_ROLE,
        'target-role-arn': STAGING_ROLE,
        'source-database-secret-id': 'prod/db',
        'target-database-secret-id': STAGING_SECRET_ARN,
        'aws-region': 'us-east-2',
        'source-region': 'eu-west-1',
        'target-region': 'ap-southeast-2',
      },
      { env: { ...fake.env, AWS_REGION: 'eu-north-1' } },
    );
    expect(result.exitCode, result.log).toBe(0);
    expect(regionsUsed(fake)).toEqual([
      's3 source eu-west-1',
      's3 target ap-southeast-2',
      'secretsmanager source eu-west-1',
      'secretsmanager target ca-central-1',
      'sts source eu-west-1',
      'sts target ap-southeast-2',
    ]);
  });

  it('the target\'s Lambda function is invoked in `target-region`', async () => {
    const fake = await startFakeAws({
      roles: [{ arn: STAGING_ROLE, account: '222222222222', trustedSub: SUB }],
      oidcSub: SUB,
      functions: {
        'staging-db-sync': {
          invokers: [STAGING_ROLE],
          handler: () => ({
            payload: { statusCode: 200, body: JSON.stringify({ message: 'ok', results: { tables_synced: [{ table: 'books', rows: 12 }], tables_failed: [], total_rows: 12, validation: { passed: true, issues: [] } } }) },
          }),
        },
      },
    });
    closers.push(fake);
    const result = await runAction(
      { mode: 'db-only', confirm: 'staging', 'db-method': 'lambda', 'db-sync-function': 'staging-db-sync', 'target-role-arn': STAGING_ROLE, 'aws-region': 'us-east-1', 'target-region': 'eu-west-3' },
      { env: fake.env },
    );
    expect(result.exitCode, result.log).toBe(0);
    expect(regionsUsed(fake)).toEqual(['lambda target eu-west-3', 'sts target eu-west-3']);
  });

  it('follows S3\'s region redirect: a bucket in another region is copied, not a PermanentRedirect failure', async () => {
    const redirect: RegionRedirect = await startRegionRedirect(s3Endpoint(), { [sourceBucket]: 'eu-west-1', [targetBucket]: 'us-west-2' });
    closers.push(redirect);
    const result = await runAction(
      { mode: 'images-only', confirm: 'staging', 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': redirect.endpoint, 'aws-region': 'us-east-1' },
      { env: S3_ENV },
    );
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).not.toContain('PermanentRedirect');
    // Staging now holds production's covers, byte for byte.
    const staged = await bucketSnapshot(targetBucket);
    expect(Buffer.from(staged['books/1/cover.jpg']!, 'base64').toString()).toBe('cover of book 1 '.repeat(20));
    expect(Object.keys(staged)).toContain('books/6/cover.jpg');
    // S3 said where each bucket lives, and the client signed again for that region.
    expect(redirect.calls.some((c) => c.bucket === targetBucket && c.status === 301 && c.region === 'us-east-1')).toBe(true);
    expect(redirect.calls.some((c) => c.bucket === targetBucket && c.method === 'PUT' && c.status === 200 && c.region === 'us-west-2')).toBe(true);
    expect(redirect.calls.some((c) => c.bucket === sourceBucket && c.status === 200 && c.region === 'eu-west-1')).toBe(true);
    // Once S3 has said where a bucket is, later calls are signed for that region from the start:
    // one redirect per bucket, not one per call.
    for (const bucket of [sourceBucket, targetBucket]) {
      expect(redirect.calls.filter((c) => c.bucket === bucket && c.status === 301)).toHaveLength(1);
    }
    expect(redirect.calls.filter((c) => c.status === 200).length).toBeGreaterThan(6);
  });
});
