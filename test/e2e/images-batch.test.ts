import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeS3Control, type FakeS3Control, type FakeS3ControlOptions } from '../harness/fake-s3-control.js';
import type { SeedObject } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { uploadLines } from '../../src/s3/batch/upload.js';
import { bucketSnapshot, newBucket, S3_ENV, s3Endpoint, testS3Client } from '../harness/servers.js';

// Issue 14: copies handed to S3 Batch Operations, run by a local S3 Control server against s3rver.
const ROLE = 'arn:aws:iam::222233334444:role/staging-batch-copy';
const PREFIX = 'prod-to-staging-sync/batch/';

function productionObjects(): SeedObject[] {
  const objects: SeedObject[] = [];
  for (let id = 1; id <= 40; id++) {
    objects.push({ key: `books/${id}/cover.jpg`, body: `cover ${id} `.repeat(20 + id), contentType: 'image/jpeg', metadata: { 'book-id': String(id) } });
  }
  // Keys a CSV manifest must encode: spaces, quotes, parentheses, non-ASCII. (Commas, `+`, `=`, `&` are
  // covered by the unit tests: s3rver itself cannot copy such keys, whichever engine asks.)
  objects.push({ key: 'books/7/back cover.jpg', body: 'a key with a space', contentType: 'image/jpeg' });
  objects.push({ key: 'books/8/draft (1).jpg', body: 'a key with parentheses', contentType: 'image/jpeg' });
  objects.push({ key: 'books/9/the "notes".txt', body: 'quotes', contentType: 'text/plain' });
  objects.push({ key: 'books/10/Überschrift – 表紙.jpg', body: 'non-ASCII key', contentType: 'image/jpeg', metadata: { lang: 'de' } });
  objects.push({ key: 'lambda/api.zip', body: 'excluded', contentType: 'application/zip' });
  return objects;
}
const TO_COPY = 44;
function stagingObjects(): SeedObject[] {
  return [
    { key: 'books/1/cover.jpg', body: 'stale', contentType: 'image/jpeg' },
    { key: 'books/999/old.jpg', body: 'only on staging', contentType: 'image/jpeg' },
    { key: 'lambda/staging.zip', body: 'staging deploy package', contentType: 'application/zip' },
  ];
}

let source: string;
let control: FakeS3Control | undefined;
beforeAll(async () => {
  source = await newBucket('prod-batch', productionObjects());
});
afterEach(async () => {
  await control?.close();
  control = undefined;
});

async function startControl(opts: Omit<FakeS3ControlOptions, 's3'> = {}): Promise<FakeS3Control> {
  control = await startFakeS3Control({ s3: testS3Client(), ...opts });
  return control;
}

const refresh = (target: string, inputs: Record<string, string>, opts: Parameters<typeof runAction>[1] = {}) =>
  runAction(
    { mode: 'images-only', 'source-bucket': source, 'target-bucket': target, 's3-endpoint': s3Endpoint(), confirm: 'staging', ...inputs },
    { ...opts, env: { ...S3_ENV, ...control?.env, ...opts.env } },
  );
const batchInputs = (target: string, extra: Record<string, string> = {}) => ({
  'batch-role-arn': ROLE,
  'batch-manifest-bucket': target,
  'batch-threshold': '10',
  ...extra,
});
const copyListFiles = async (dir: string) => (await readdir(dir)).filter((name) => name.includes('copy-list'));
const withoutPrefix = (snapshot: Record<string, string>) => Object.fromEntries(Object.entries(snapshot).filter(([key]) => !key.startsWith(PREFIX)));

async function headersOf(bucket: string, key: string) {
  const h = await testS3Client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { ContentType: h.ContentType, Metadata: h.Metadata };
}

describe('copy-engine: batch (S3 Batch Operations)', () => {
  it('leaves staging byte-for-byte as a runner refresh does; the threshold picks the engine; the manifest prefix is never deleted', async () => {
    const runnerTarget = await newBucket('stage-runner', stagingObjects());
    const batchTarget = await newBucket('stage-batch', stagingObjects());
    const fake = await startControl({ taskDelayMs: 80 }); // long enough for a poll to see the job at work

    // Threshold 1,000 > 44 objects: auto copies on the runner, no job.
    const byRunner = await refresh(runnerTarget, { ...batchInputs(runnerTarget, { 'batch-threshold': '1000' }), delete: 'true' });
    expect(byRunner.exitCode, byRunner.log).toBe(0);
    expect(fake.jobs).toHaveLength(0);
    expect(byRunner.summary).not.toContain('Batch Operations job');

    // Threshold 10 < 44: auto hands the copy to one Batch Operations job; the objects to copy
    // went to a file in RUNNER_TEMP as they were found (not held in memory), removed at the end.
    const runnerTemp = await mkdtemp(join(tmpdir(), 'runner-temp-'));
    const byBatch = await refresh(batchTarget, { ...batchInputs(batchTarget), delete: 'true' }, { env: { RUNNER_TEMP: runnerTemp } });
    expect(byBatch.exitCode, byBatch.log).toBe(0);
    expect(byBatch.log).toMatch(new RegExp(`More than 10 objects to copy \\(batch-threshold\\): writing them to ${runnerTemp}/prod-to-staging-sync-copy-list-[^ ]+\\.ndjson`));
    expect(await copyListFiles(runnerTemp)).toEqual([]);
    expect(fake.jobs).toHaveLength(1);
    const job = fake.jobs[0]!;
    expect(job).toMatchObject({
      accountId: '222233334444',
      roleArn: ROLE,
      status: 'Complete',
      confirmationRequired: 'false',
      total: TO_COPY,
      succeeded: TO_COPY,
      operation: { targetBucket: batchTarget, metadataDirective: 'COPY' },
      manifest: { bucket: batchTarget, format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      report: { bucket: batchTarget, scope: 'FailedTasksOnly', format: 'Report_CSV_20180820', enabled: 'true' },
    });

    // Same bytes and headers as the runner's copy; staging-only objects deleted in both.
    const runnerSnapshot = await bucketSnapshot(runnerTarget);
    const batchSnapshot = await bucketSnapshot(batchTarget);
    expect(withoutPrefix(batchSnapshot)).toEqual(runnerSnapshot);
    expect(runnerSnapshot['books/999/old.jpg']).toBeUndefined();
    for (const key of ['books/10/Überschrift – 表紙.jpg', 'books/9/the "notes".txt', 'books/3/cover.jpg']) {
      expect(await headersOf(batchTarget, key)).toEqual(await headersOf(runnerTarget, key));
    }
    // The manifest lives under the prefix, keys URL-encoded, and survived `delete: true`.
    const manifest = await testS3Client().send(new GetObjectCommand({ Bucket: batchTarget, Key: job.manifest.key }));
    const lines = (await manifest.Body!.transformToString()).trim().split('\n');
    expect(job.manifest.key.startsWith(`${PREFIX}manifests/run-1234-`)).toBe(true);
    expect(lines).toHaveLength(TO_COPY);
    expect(lines).toContain(`${source},books/7/back%20cover.jpg`);
    expect(lines).toContain(`${source},books/8/draft%20(1).jpg`);
    expect(lines).toContain(`${source},books/9/the%20%22notes%22.txt`);

    // Same outputs; the summary names the job with a console link; progress was logged.
    for (const output of ['objects-copied', 'bytes-copied', 'objects-deleted', 'objects-skipped']) {
      expect(byBatch.outputs[output], output).toBe(byRunner.outputs[output]);
    }
    expect(byBatch.outputs['objects-copied']).toBe(String(TO_COPY));
    expect(byBatch.summary).toContain(`Copied by S3 Batch Operations job [\`${job.id}\`](https://us-east-1.console.aws.amazon.com/s3/jobs/${job.id}?region=us-east-1&accountId=222233334444)`);
    expect(byBatch.log).toMatch(/Batch job Active: \d+ succeeded, 0 failed of 44/);
    expect(byBatch.log).toContain(`Batch job Complete: 44 succeeded, 0 failed of 44 (100%)`);
  });

  it('a CreateJob retried after a lost answer (same token) creates one job', async () => {
    const target = await newBucket('stage-retry', stagingObjects());
    const fake = await startControl({ failCreateAnswers: 1 });
    const run = await refresh(target, { ...batchInputs(target), 'copy-engine': 'batch' });
    expect(run.exitCode, run.log).toBe(0);
    expect(fake.calls.filter((c) => c.action === 'CreateJob').map((c) => c.status)).toEqual([500, 200]);
    expect(fake.jobs).toHaveLength(1);
    expect(run.outputs['objects-copied']).toBe(String(TO_COPY));
  });

  it('failed tasks fail the run, naming each key with its reason, as the runner copy does', async () => {
    const target = await newBucket('stage-fail', stagingObjects());
    await startControl({
      failKeys: {
        'books/7/back cover.jpg': { code: 'AccessDenied', message: 'Access Denied', status: 403 },
        'books/8/draft (1).jpg': { code: 'SlowDown', message: 'Please reduce your request rate.', status: 503 },
      },
    });
    const run = await refresh(target, { ...batchInputs(target), 'copy-engine': 'batch', delete: 'true' });
    expect(run.exitCode).not.toBe(0);
    expect(run.visibleLog).toContain('2 objects could not be copied');
    expect(run.visibleLog).toContain('`books/7/back cover.jpg`: AccessDenied: Access Denied (HTTP 403)');
    expect(run.visibleLog).toContain('`books/8/draft (1).jpg`: SlowDown: Please reduce your request rate. (HTTP 503)');
    expect(run.summary).toContain('books/7/back cover.jpg');
    expect(run.outputs['objects-copied']).toBe(String(TO_COPY - 2));
    // Bytes copied: every object handed to the job but the two that failed (read back from the list on disk).
    const failed = new Set(['books/7/back cover.jpg', 'books/8/draft (1).jpg', 'lambda/api.zip']);
    const copiedBytes = productionObjects().filter((o) => !failed.has(o.key)).reduce((sum, o) => sum + Buffer.byteLength(o.body), 0);
    expect(run.outputs['bytes-copied']).toBe(String(copiedBytes));
    // Nothing is deleted after a failed copy.
    const after = await bucketSnapshot(target);
    expect(after['books/999/old.jpg']).toBeDefined();
    expect(after['books/7/back cover.jpg']).toBeUndefined();
  });

  it('SIGTERM to the action (the workflow was cancelled) cancels the job and says so', async () => {
    const target = await newBucket('stage-cancel', stagingObjects());
    const fake = await startControl({ taskDelayMs: 200 });
    const runnerTemp = await mkdtemp(join(tmpdir(), 'runner-temp-'));
    const run = await refresh(target, { ...batchInputs(target), 'copy-engine': 'batch' }, {
      env: { RUNNER_TEMP: runnerTemp },
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if ((fake.jobs[0]?.succeeded ?? 0) >= 3) {
            clearInterval(timer);
            child.kill('SIGTERM');
          }
        }, 50);
        child.on('exit', () => clearInterval(timer));
      },
    });
    const job = fake.jobs[0]!;
    await job.done;
    expect(run.exitCode).not.toBe(0);
    expect(run.visibleLog).toContain(`Received SIGTERM: cancelling S3 Batch Operations job ${job.id}.`);
    expect(run.visibleLog).toContain(`Cancelled S3 Batch Operations job ${job.id}`);
    expect(fake.calls.some((c) => c.action === 'UpdateJobStatus' && c.jobId === job.id)).toBe(true);
    expect(job.status).toBe('Cancelled');
    expect(job.cancelReason).toBe('The workflow run was cancelled');
    expect(job.succeeded).toBeLessThan(TO_COPY);
    expect(run.summary).toContain('was cancelled after copying');
    const copied = Object.keys(await bucketSnapshot(target)).filter((k) => !k.startsWith(PREFIX));
    expect(copied.length).toBeLessThan(TO_COPY + 2);
    expect(await copyListFiles(runnerTemp)).toEqual([]);
  });

  it('killed (SIGKILL) while the job copies: nothing is deleted from staging, the list file is left to the runner', async () => {
    const target = await newBucket('stage-kill', stagingObjects());
    const fake = await startControl({ taskDelayMs: 200 });
    const runnerTemp = await mkdtemp(join(tmpdir(), 'runner-temp-'));
    const run = await refresh(target, { ...batchInputs(target), 'copy-engine': 'batch', delete: 'true' }, {
      env: { RUNNER_TEMP: runnerTemp },
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if ((fake.jobs[0]?.succeeded ?? 0) >= 3) {
            clearInterval(timer);
            child.kill('SIGKILL');
          }
        }, 50);
        child.on('exit', () => clearInterval(timer));
      },
    });
    await fake.jobs[0]!.done;
    expect(run.exitCode).not.toBe(0);
    const after = await bucketSnapshot(target);
    // Deletion only ever follows a finished copy: the staging-only object survives the kill.
    expect(after['books/999/old.jpg']).toBeDefined();
    expect(after['lambda/staging.zip']).toBeDefined();
    // No exit handler runs on SIGKILL: the file stays in RUNNER_TEMP, which the runner empties after the job.
    expect(await copyListFiles(runnerTemp)).toHaveLength(1);
  });

  it('a RUNNER_TEMP it cannot write the list to fails the inspection, saying where, before anything is copied', async () => {
    const target = await newBucket('stage-notemp', stagingObjects());
    const before = await bucketSnapshot(target);
    const fake = await startControl();
    const notADirectory = join(await mkdtemp(join(tmpdir(), 'runner-temp-')), 'a-file');
    await writeFile(notADirectory, '');
    const run = await refresh(target, { ...batchInputs(target), 'copy-engine': 'batch' }, { env: { RUNNER_TEMP: notADirectory } });
    expect(run.exitCode).not.toBe(0);
    expect(run.visibleLog).toContain(`Could not write the list of objects to copy to ${notADirectory}/prod-to-staging-sync-copy-list-`);
    expect(run.visibleLog).toContain('must be a directory the action can write to');
    expect(run.summary).toContain('staging is unchanged');
    expect(fake.calls).toHaveLength(0);
    expect(await bucketSnapshot(target)).toEqual(before);
  });

  it('a dry run says a job would be created, with the task count, the cost at list prices and the job role IAM', async () => {
    const target = await newBucket('stage-dry', stagingObjects());
    const fake = await startControl();
    const before = await bucketSnapshot(target);
    const run = await refresh(target, { ...batchInputs(target), 'dry-run': 'true' });
    expect(run.exitCode, run.log).toBe(0);
    expect(fake.calls).toHaveLength(0);
    expect(await bucketSnapshot(target)).toEqual(before);
    expect(run.summary).toContain('A real run would create an S3 Batch Operations job');
    expect(run.summary).toContain('with 44 tasks');
    expect(run.summary).toContain('$0.25 per job');
    expect(run.summary).toContain('batchoperations.s3.amazonaws.com');
    expect(run.summary).toContain(`\`s3:PutObject\`, \`s3:PutObjectTagging\` on \`${target}/*\``);
  });

  it('refuses copy-engine: batch without its role and manifest bucket, before touching anything', async () => {
    const target = await newBucket('stage-bad', stagingObjects());
    const run = await refresh(target, { 'copy-engine': 'batch' });
    expect(run.exitCode).not.toBe(0);
    expect(run.visibleLog).toContain('S3 Batch Operations needs both `batch-role-arn`');
    expect(run.visibleLog).toContain('use `copy-engine: runner`');
    const listed = await testS3Client().send(new ListObjectsV2Command({ Bucket: target }));
    expect(listed.KeyCount).toBe(3);
  });
});

describe('manifest upload', () => {
  it('writes a manifest larger than a part as a multipart upload, byte for byte', async () => {
    const bucket = await newBucket('manifests');
    const lines = Array.from({ length: 200_000 }, (_, i) => `prod,books/${i}/cover%20${i}.jpg\n`);
    await uploadLines({ client: testS3Client(), bucket }, 'm/big.csv', lines, 'text/csv', 5 * 1024 * 1024);
    const got = await testS3Client().send(new GetObjectCommand({ Bucket: bucket, Key: 'm/big.csv' }));
    expect(got.ContentLength).toBeGreaterThan(5 * 1024 * 1024); // more than one part
    expect(await got.Body!.transformToString()).toBe(lines.join(''));
  });
});
