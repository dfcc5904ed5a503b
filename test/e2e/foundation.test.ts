import { beforeAll, describe, expect, it } from 'vitest';
import { PG_PASSWORD } from '../harness/postgres.js';
import { productionImages, seedCatalogue, stagingImages } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import {
  adminUrl,
  bucketSnapshot,
  databaseSnapshot,
  newBucket,
  newDatabase,
  S3_ENV,
  s3Endpoint,
} from '../harness/servers.js';

let sourceDb: string;
let targetDb: string;
let sourceBucket: string;
let targetBucket: string;

beforeAll(async () => {
  [sourceDb, targetDb] = await Promise.all([newDatabase('prod'), newDatabase('staging')]);
  await Promise.all([
    seedCatalogue(sourceDb, { books: 208, migration: 'd688bcd' }),
    seedCatalogue(targetDb, { books: 163, migration: '588327b', titlePrefix: 'Old ' }),
  ]);
  [sourceBucket, targetBucket] = await Promise.all([
    newBucket('prod-images', productionImages(40)),
    newBucket('staging-images', stagingImages(25)),
  ]);
});

const baseInputs = () => ({
  'source-database-url': sourceDb,
  'target-database-url': targetDb,
  'source-bucket': sourceBucket,
  'target-bucket': targetBucket,
  's3-endpoint': s3Endpoint(),
});
const run = (inputs: Record<string, string>) => runAction(inputs, { env: S3_ENV });

async function snapshotTarget() {
  return { db: await databaseSnapshot(targetDb), bucket: await bucketSnapshot(targetBucket) };
}

describe('dry run', () => {
  it('full: reports the plan with book and object counts, exits 0 and changes nothing', async () => {
    const before = await snapshotTarget();
    const result = await run({ ...baseInputs(), 'dry-run': 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('dry-run');
    expect(result.outputs['books-source']).toBe('208');
    expect(result.outputs['books-target-before']).toBe('163');
    expect(result.outputs['objects-excluded']).toBe('5');
    expect(result.summary).toContain('Dry run: staging would be refreshed from production (nothing was changed)');
    expect(result.summary).toMatch(/\| production \| source \| 208 \| 208 \| 45 \(5 excluded\)/);
    expect(result.summary).toMatch(/\| staging \| target \| 163 \| 208 \| 26 \|/);
    expect(await snapshotTarget()).toEqual(before);
  });

  it('db-only: inspects only the databases and needs no buckets', async () => {
    const result = await run({ mode: 'db-only', 'dry-run': 'true', 'source-database-url': sourceDb, 'target-database-url': targetDb });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['books-source']).toBe('208');
    expect(result.outputs['objects-excluded']).toBe('');
    expect(result.summary).toContain('Inspect databases (production → staging)');
    expect(result.summary).not.toContain('Inspect buckets');
  });

  it('images-only: inspects only the buckets and needs no database', async () => {
    const before = await bucketSnapshot(targetBucket);
    const result = await run({
      mode: 'images-only',
      'dry-run': 'true',
      'source-bucket': sourceBucket,
      'target-bucket': targetBucket,
      's3-endpoint': s3Endpoint(),
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['objects-excluded']).toBe('5');
    expect(result.outputs['books-source']).toBe('');
    expect(result.summary).not.toContain('Inspect databases');
    expect(await bucketSnapshot(targetBucket)).toEqual(before);
  });
});

describe('safety gate', () => {
  it('refuses a real run without confirm, says how to confirm, and changes nothing', async () => {
    const before = await snapshotTarget();
    const result = await run(baseInputs());
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.log).toContain('set `confirm` to `staging`');
    expect(result.summary).toContain('`confirm` is empty');
    expect(await snapshotTarget()).toEqual(before);
  });

  it('refuses a real run whose confirm is not the target name exactly', async () => {
    const before = await snapshotTarget();
    const result = await run({ ...baseInputs(), confirm: 'Staging' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`confirm` is `Staging`, which is not the target\'s name');
    expect(await snapshotTarget()).toEqual(before);
  });

  it('refuses the same database reached through another host name', async () => {
    const alias = new URL(sourceDb);
    alias.hostname = 'localhost';
    const result = await run({ mode: 'db-only', 'dry-run': 'true', 'source-database-url': sourceDb, 'target-database-url': alias.href });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('reach the same database');
    expect(result.outputs.status).toBe('failed');
  });

  it('refuses the same bucket as source and target', async () => {
    const result = await run({ ...baseInputs(), 'target-bucket': sourceBucket, 'dry-run': 'true' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`source-bucket` and `target-bucket` are the same bucket');
  });

  it('reports every input problem together in one failure', async () => {
    const result = await run({
      mode: 'everything',
      'dry-run': 'maybe',
      'source-database-url': 'mysql://root@db/app',
      'source-name': 'staging',
      'aws-region': 'mars',
    });
    expect(result.exitCode).toBe(1);
    const failure = result.log.split('\n').filter((l) => l.startsWith('::error::'));
    expect(failure).toHaveLength(1);
    expect(result.log).toContain('5 input problem(s)');
    expect(result.log).toContain('`mode` must be one of full, db-only, images-only, got `everything`');
    expect(result.log).toContain('`dry-run` must be `true` or `false`, got `maybe`');
    expect(result.log).toContain('`source-database-url` is not a valid PostgreSQL URL');
    expect(result.log).toContain('`source-name` and `target-name` are both `staging`');
    expect(result.log).toContain('`aws-region` must be an AWS region');
    expect(result.summary).toContain('input problem(s)');
  });

  it('never prints a database password, in the log, the summary or an error', async () => {
    const wrongPort = new URL(targetDb);
    wrongPort.port = '1';
    const runs = await Promise.all([
      run({ ...baseInputs(), 'dry-run': 'true' }),
      run({ ...baseInputs(), 'dry-run': 'true', 'target-database-url': wrongPort.href }),
      run({ ...baseInputs(), 'source-database-url': sourceDb.replace('postgresql:', 'mysql:') }),
    ]);
    expect(runs.map((r) => r.exitCode)).toEqual([0, 1, 1]);
    expect(runs[1]!.log).toContain('could not connect to staging');
    for (const result of runs) {
      // `::add-mask::` lines are instructions to the runner, which hides them; everything else must be clean.
      expect(result.log).toContain('::add-mask::');
      for (const text of [result.visibleLog, result.summary, JSON.stringify(result.outputs)]) {
        expect(text).not.toContain(PG_PASSWORD);
        expect(text).not.toContain(encodeURIComponent(PG_PASSWORD));
      }
    }
  });

  it('the admin URL helper targets the shared test server', () => {
    expect(adminUrl('x')).toMatch(/\/x$/);
  });
});
