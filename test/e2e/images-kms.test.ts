import { createHash } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFakeS3Control } from '../harness/fake-s3-control.js';
import { runAction } from '../harness/run-action.js';
import { bucketSnapshot, newBucket, S3_ENV, s3Endpoint, testS3Client } from '../harness/servers.js';

/**
 * Objects encrypted with SSE-KMS have ETags of 32 hex digits that are not the MD5 of their bytes
 * and differ for every copy. The harness's s3rver answers that way for objects stored with
 * `x-amz-server-side-encryption: aws:kms`.
 */

const KMS_OBJECTS = 30;
const PLAIN_OBJECTS = 5;
const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const kmsKey = (i: number) => `books/${i}/cover.jpg`;
const withoutBatchPrefix = (snapshot: Record<string, string>) => Object.fromEntries(Object.entries(snapshot).filter(([key]) => !key.startsWith('prod-to-staging-sync/batch/')));

async function putKms(bucket: string, key: string, body: string): Promise<void> {
  await testS3Client().send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body), ContentType: 'image/jpeg', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY }),
  );
}

let sourceBucket: string;

beforeAll(async () => {
  sourceBucket = await newBucket(
    'prod-kms',
    Array.from({ length: PLAIN_OBJECTS }, (_, i) => ({ key: `plain/${i}.txt`, body: `plain object ${i}`, contentType: 'text/plain' })),
  );
  await Promise.all(Array.from({ length: KMS_OBJECTS }, (_, i) => putKms(sourceBucket, kmsKey(i), `cover ${String(i).padStart(3, '0')} `.repeat(40))));
});

const refresh = (target: string, copyMethod: string) =>
  runAction(
    { mode: 'images-only', 'source-bucket': sourceBucket, 'target-bucket': target, 's3-endpoint': s3Endpoint(), confirm: 'staging', 'copy-method': copyMethod },
    { env: S3_ENV },
  );

it('the harness answers like S3 for SSE-KMS objects: the header, and an ETag that is not the MD5', async () => {
  const head = await testS3Client().send(new HeadObjectCommand({ Bucket: sourceBucket, Key: kmsKey(0) }));
  expect(head.ServerSideEncryption).toBe('aws:kms');
  expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  expect(head.ETag).not.toBe(`"${createHash('md5').update(`cover 000 `.repeat(40)).digest('hex')}"`);
});

for (const copyMethod of ['server-side', 'stream']) {
  describe(`SSE-KMS objects, copy-method ${copyMethod}`, () => {
    it('a second run copies none of the unchanged ones, and a changed one is still copied', async () => {
      const target = await newBucket('stage-kms');
      const first = await refresh(target, copyMethod);
      expect(first.exitCode, first.log).toBe(0);
      expect(first.outputs['objects-copied']).toBe(String(KMS_OBJECTS + PLAIN_OBJECTS));
      expect(await bucketSnapshot(target)).toEqual(await bucketSnapshot(sourceBucket));

      const second = await refresh(target, copyMethod);
      expect(second.exitCode, second.log).toBe(0);
      expect(second.outputs['objects-copied']).toBe('0');
      expect(second.outputs['objects-skipped']).toBe(String(KMS_OBJECTS + PLAIN_OBJECTS));
      // Only the objects whose ETags differ are HEADed, on both sides; plain MD5s that match are not.
      expect(second.log).toContain(`${KMS_OBJECTS} objects had the same size and different ETags: ${KMS_OBJECTS * 2} HEAD requests`);

      // Production changes one cover (same size, other bytes) a second later.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const changed = `COVER 007 `.repeat(40);
      await putKms(sourceBucket, kmsKey(7), changed);
      try {
        const third = await refresh(target, copyMethod);
        expect(third.exitCode, third.log).toBe(0);
        expect(third.outputs['objects-copied']).toBe('1');
        const staging = await bucketSnapshot(target);
        expect(Buffer.from(staging[kmsKey(7)]!, 'base64').toString()).toBe(changed);
        expect(staging).toEqual(await bucketSnapshot(sourceBucket));
      } finally {
        await putKms(sourceBucket, kmsKey(7), `cover 007 `.repeat(40));
      }
    });
  });
}

it('with a Batch Operations job to copy, the ETag recheck reads the objects to copy back from disk, and its result is the manifest', async () => {
  const target = await newBucket('stage-kms-batch');
  const first = await refresh(target, 'server-side');
  expect(first.exitCode, first.log).toBe(0);
  // Every KMS object has the same size and another ETag in staging: 30 to recheck, more than the threshold.
  const batchRun = {
    mode: 'images-only',
    'source-bucket': sourceBucket,
    'target-bucket': target,
    's3-endpoint': s3Endpoint(),
    'dry-run': 'true',
    'copy-engine': 'batch',
    'batch-role-arn': 'arn:aws:iam::222233334444:role/staging-batch-copy',
    'batch-manifest-bucket': target,
    'batch-threshold': '5',
  };
  const run = await runAction(batchRun, { env: S3_ENV });
  expect(run.exitCode, run.log).toBe(0);
  expect(run.log).toContain('More than 5 objects to copy (batch-threshold): writing them to ');
  expect(run.log).toContain(`${KMS_OBJECTS} objects had the same size and different ETags: ${KMS_OBJECTS * 2} HEAD requests found ${KMS_OBJECTS}`);
  expect(run.outputs['objects-skipped']).toBe(String(KMS_OBJECTS + PLAIN_OBJECTS));
  expect(run.summary).not.toContain('A real run would create an S3 Batch Operations job');

  // Production changes 7 covers (same size, other bytes): the recheck reads the 30 back from disk
  // and writes the 7 still to copy to a new file (more than 5), which becomes the job's manifest.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const changed = [2, 4, 8, 16, 22, 27, 29];
  for (const i of changed) await putKms(sourceBucket, kmsKey(i), `C0VER ${String(i).padStart(3, '0')} `.repeat(40));
  const control = await startFakeS3Control({ s3: testS3Client() });
  try {
    const real = await runAction(
      { ...batchRun, 'dry-run': 'false', confirm: 'staging' },
      { env: { ...S3_ENV, ...control.env } },
    );
    expect(real.exitCode, real.log).toBe(0);
    expect(real.log.match(/More than 5 objects to copy \(batch-threshold\): writing them to /g)).toHaveLength(2);
    expect(real.log).toContain(`${KMS_OBJECTS} objects had the same size and different ETags`);
    expect(control.jobs).toHaveLength(1);
    expect(control.jobs[0]!.total).toBe(changed.length);
    expect(real.outputs['objects-copied']).toBe(String(changed.length));
    expect(withoutBatchPrefix(await bucketSnapshot(target))).toEqual(await bucketSnapshot(sourceBucket));
  } finally {
    await control.close();
    for (const i of changed) await putKms(sourceBucket, kmsKey(i), `cover ${String(i).padStart(3, '0')} `.repeat(40));
  }
});
