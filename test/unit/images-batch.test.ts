import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { clientRequestToken, decodeReportKey, manifestLine } from '../../src/s3/batch/manifest.js';
import { chooseCopyEngine, estimatedBatchCostUsd } from '../../src/s3/batch/plan.js';
import { failedResultKeys, parseCsv, parseFailedTasks } from '../../src/s3/batch/report.js';
import { matchExclusion } from '../../src/s3/exclusions.js';

const base: Record<string, string> = { mode: 'images-only', 'source-bucket': 'prod-images', 'target-bucket': 'staging-images', 'dry-run': 'true' };
const config = (inputs: Record<string, string>) => buildConfig((name) => ({ ...base, ...inputs })[name] ?? '', { runId: '77' });
const ROLE = 'arn:aws:iam::123456789012:role/staging-batch-copy';

describe('batch inputs', () => {
  it('takes the job account from the role ARN and excludes the manifest prefix when it lives in the staging bucket', () => {
    const result = config({ 'batch-role-arn': ROLE, 'batch-manifest-bucket': 'staging-images' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.images.batch).toEqual({
      roleArn: ROLE,
      accountId: '123456789012',
      manifestBucket: 'staging-images',
      manifestPrefix: 'prod-to-staging-sync/batch/',
      runId: '77',
    });
    const { exclusions } = result.config;
    expect(matchExclusion(exclusions, 'prod-to-staging-sync/batch/manifests/run-77-ab.csv')).toBeDefined();
    expect(matchExclusion(exclusions, 'books/1/cover.jpg')).toBeUndefined();
  });

  it('does not exclude anything from staging when the manifest bucket is another bucket', () => {
    const result = config({ 'batch-role-arn': ROLE, 'batch-manifest-bucket': 'staging-batch-manifests', exclusions: 'none' });
    expect(result.ok && result.config.exclusions).toEqual([]);
  });

  it('explains what batch needs, and refuses a half-configured batch', () => {
    const missing = config({ 'copy-engine': 'batch' });
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.problems.join('\n')).toContain('S3 Batch Operations needs both `batch-role-arn`');
    const half = config({ 'batch-role-arn': ROLE });
    expect(!half.ok && half.problems.join('\n')).toContain('`batch-manifest-bucket` is empty');
    const bad = config({ 'batch-role-arn': 'staging-batch-copy', 'batch-manifest-bucket': 'Staging_Bucket' });
    expect(!bad.ok && bad.problems.join('\n')).toMatch(/`batch-role-arn` must be an IAM role ARN[\s\S]*`batch-manifest-bucket` must be an S3 bucket name/);
    const engine = config({ 'copy-engine': 'lambda' });
    expect(!engine.ok && engine.problems.join('\n')).toContain('`copy-engine` must be one of auto, runner, batch');
  });
});

describe('engine choice', () => {
  const options = (inputs: Record<string, string>) => {
    const result = config(inputs);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    return result.config.images;
  };
  const batch = { 'batch-role-arn': ROLE, 'batch-manifest-bucket': 'manifests' };
  it('auto: batch above the threshold (default 100,000) when batch is set up, else the runner', () => {
    expect(chooseCopyEngine(options(batch), 100_000).engine).toBe('runner');
    expect(chooseCopyEngine(options(batch), 100_001).engine).toBe('batch');
    expect(chooseCopyEngine(options({}), 5_000_000)).toMatchObject({ engine: 'runner', reason: expect.stringContaining('not set up') });
    expect(chooseCopyEngine(options({ ...batch, 'batch-threshold': '10' }), 11).engine).toBe('batch');
  });
  it('runner and batch are taken as asked', () => {
    expect(chooseCopyEngine(options({ ...batch, 'copy-engine': 'runner' }), 10_000_000).engine).toBe('runner');
    expect(chooseCopyEngine(options({ ...batch, 'copy-engine': 'batch' }), 1).engine).toBe('batch');
  });
});

describe('manifest and completion report', () => {
  it('URL-encodes keys so that commas, quotes, plus signs and newlines cannot break the CSV', () => {
    expect(manifestLine('prod', 'a,b/c+d "e"\nf.jpg')).toBe('prod,a%2Cb/c%2Bd%20%22e%22%0Af.jpg\n');
    expect(manifestLine('prod', 'books/8/Überschrift.jpg')).toBe('prod,books/8/%C3%9Cberschrift.jpg\n');
    expect(parseCsv(manifestLine('prod', 'x,y\n"z"'))).toEqual([['prod', 'x%2Cy%0A%22z%22']]);
  });
  it('reads failed tasks from a report: decoded keys, code, message with commas, HTTP status', () => {
    const csv =
      'prod,books/7/back%20cover.jpg,,failed,AccessDenied,403,"Access Denied, check the role"\n' +
      'prod,a%2Cb.jpg,,failed,NoSuchKey,404,The specified key does not exist.\n' +
      'prod,ok.jpg,,succeeded,200,,Successful\n';
    expect(parseFailedTasks(csv)).toEqual([
      { key: 'books/7/back cover.jpg', error: 'AccessDenied: Access Denied, check the role (HTTP 403)' },
      { key: 'a,b.jpg', error: 'NoSuchKey: The specified key does not exist. (HTTP 404)' },
    ]);
    expect(decodeReportKey('a+b')).toBe('a b');
    const manifest = JSON.stringify({ Results: [{ TaskExecutionStatus: 'failed', Key: 'r/job-1/results/x.csv' }, { TaskExecutionStatus: 'succeeded', Key: 'r/job-1/results/y.csv' }] });
    expect(failedResultKeys(manifest)).toEqual(['r/job-1/results/x.csv']);
  });
  it('derives one token per run and manifest (at most 64 characters)', () => {
    const parts = { runId: '77', targetBucket: 'staging', manifestKey: 'm.csv', manifestEtag: '"abc"' };
    const token = clientRequestToken(parts);
    expect(token).toBe(clientRequestToken({ ...parts }));
    expect(token.length).toBeLessThanOrEqual(64);
    expect(clientRequestToken({ ...parts, runId: '78' })).not.toBe(token);
  });
  it('estimates the cost at list prices: $0.25 a job, $1 a million objects, plus COPY requests', () => {
    expect(estimatedBatchCostUsd(10_000_000)).toEqual({ job: 0.25, objects: 10, requests: 50, total: 60.25 });
  });
});
