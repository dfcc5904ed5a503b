import { describe, expect, it } from 'vitest';
import type { SeedObject } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { bucketSnapshot, newBucket, S3_ENV, s3Endpoint } from '../harness/servers.js';

/**
 * The streamed diff through the built action: buckets larger than a page are merged as their
 * pages arrive and staging ends identical to production; a store that lists keys out of S3's
 * order (s3rver lists `a/b.jpg` before `a.jpg`) gets the in-memory diff, with the reason logged.
 */

const refresh = (source: string, target: string, inputs: Record<string, string> = {}) =>
  runAction(
    { mode: 'images-only', confirm: 'staging', 'source-bucket': source, 'target-bucket': target, 's3-endpoint': s3Endpoint(), ...inputs },
    { env: S3_ENV, timeoutMs: 120_000 },
  );
const FALLBACK = 'The listings cannot be merged as they stream';

describe('the streamed diff', () => {
  it('refreshes buckets larger than one page, both listed by prefix, and staging ends identical', async () => {
    const cover = (i: number): SeedObject => ({ key: `${['books', 'covers', 'avatars'][i % 3]}/${i}/img.jpg`, body: `cover ${i}` });
    const production = Array.from({ length: 1300 }, (_, i) => cover(i));
    production.push({ key: 'index.txt', body: 'top-level key' }, { key: 'lambda/api.zip', body: 'excluded by default' });
    // Staging: 1,100 already identical, 50 of them changed (same size, other bytes), 30 it alone holds.
    const staging: SeedObject[] = production.slice(0, 1100).map((o, i) => (i < 50 ? { key: o.key, body: String(o.body).replace('cover', 'COVER') } : o));
    for (let i = 0; i < 30; i++) staging.push({ key: `covers/old/${i}.jpg`, body: 'stale' });
    staging.push({ key: 'lambda/staging.zip', body: 'protected by the exclusions' });
    const [source, target] = await Promise.all([newBucket('prod-stream', production), newBucket('stage-stream', staging)]);
    const before = await bucketSnapshot(source);

    const result = await refresh(source, target, { delete: 'true', 'max-delete': '30' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).not.toContain(FALLBACK);
    expect(result.log).toMatch(/Listed production's bucket .*: 1,302 objects in .* \(4 top-level prefixes in parallel\)/);
    expect(result.log).toMatch(/Listed staging's bucket .*: 1,131 objects in .* \(4 top-level prefixes in parallel\)/);
    expect(result.outputs['objects-copied']).toBe(String(1301 - 1100 + 50));
    expect(result.outputs['objects-deleted']).toBe('30');
    expect(result.outputs['objects-excluded']).toBe('1');
    expect(result.summary).toMatch(/\| skipped \(already identical\) \| 1,050 \|/);
    const expected = { ...before };
    delete expected['lambda/api.zip'];
    expect(await bucketSnapshot(target)).toEqual({ ...expected, 'lambda/staging.zip': Buffer.from('protected by the exclusions').toString('base64') });
  });

  it('the max-delete guard counts the streamed delete candidates', async () => {
    const production = Array.from({ length: 1001 }, (_, i): SeedObject => ({ key: `books/${i}.jpg`, body: `${i}` }));
    const staging = [...production, ...Array.from({ length: 5 }, (_, i): SeedObject => ({ key: `old/${i}.jpg`, body: 'stale' }))];
    const [source, target] = await Promise.all([newBucket('prod-guard', production), newBucket('stage-guard', staging)]);
    const before = await bucketSnapshot(target);
    const result = await refresh(source, target, { delete: 'true', 'max-delete': '4' });
    expect(result.exitCode).not.toBe(0);
    expect(result.log).toContain('would delete 5 objects, more than `max-delete` (4)');
    expect(await bucketSnapshot(target)).toEqual(before);
  });

  it('falls back to the in-memory diff, saying why, when a listing is out of S3 order', async () => {
    // S3 lists `a.jpg` before `a/b.jpg` ('.' < '/'); s3rver walks folders and lists it after.
    const production: SeedObject[] = ['a.jpg', 'a/b.jpg', 'a-1.jpg', 'b/c.jpg', 'b.jpg'].map((key) => ({ key, body: `production ${key}` }));
    const staging: SeedObject[] = [{ key: 'a/b.jpg', body: 'production a/b.jpg' }, { key: 'old.jpg', body: 'stale' }];
    const [source, target] = await Promise.all([newBucket('prod-order', production), newBucket('stage-order', staging)]);
    const result = await refresh(source, target, { delete: 'true' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toMatch(
      /The listings cannot be merged as they stream: the source listing returned `a[.-][^`]*` after `a\/b\.jpg`, which is not S3's order \(UTF-8 binary\)\. Listing both buckets in memory instead\./,
    );
    expect(result.outputs['objects-copied']).toBe('4');
    expect(result.outputs['objects-deleted']).toBe('1');
    expect(await bucketSnapshot(target)).toEqual(await bucketSnapshot(source));
  });
});
