import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { newReport } from '../../src/report/model.js';
import { imagesSection } from '../../src/report/images-section.js';
import { toOutputs } from '../../src/report/outputs.js';
import { copySource, fixedSizeChunks } from '../../src/s3/copy.js';
import { copyReason, diffBuckets, isPlainMd5Etag } from '../../src/s3/diff.js';
import { compileExclusion, parseExclusions } from '../../src/s3/exclusions.js';
import { deleteGuardProblem } from '../../src/s3/inspect.js';
import type { ObjectEntry } from '../../src/s3/list.js';
import { progressLine } from '../../src/s3/progress.js';
import { resolveCopyMethod } from '../../src/s3/refresh.js';
import { isTransient, withS3Retry } from '../../src/s3/retry.js';

const MD5_A = '"0cc175b9c0f1b6a831c399e269772661"';
const MD5_B = '"92eb5ffee6ae2fec3ad71c777531578f"';
const entry = (key: string, over: Partial<ObjectEntry> = {}): ObjectEntry => ({ key, size: 10, etag: MD5_A, lastModified: 1000, ...over });

describe('the copy rule', () => {
  it('copies what is missing, of another size, or with another plain MD5 ETag', () => {
    expect(copyReason(entry('a'), undefined)).toBe('missing');
    expect(copyReason(entry('a'), entry('a', { size: 11 }))).toBe('size differs');
    expect(copyReason(entry('a'), entry('a', { etag: MD5_B }))).toBe('content differs');
    expect(copyReason(entry('a'), entry('a', { lastModified: 5000 }))).toBeUndefined();
    // ETag case and quotes do not matter.
    expect(copyReason(entry('a'), entry('a', { etag: MD5_A.toUpperCase().replace(/"/g, '') }))).toBeUndefined();
  });

  it('with a multipart ETag, copies only when the source is newer', () => {
    const multipart = '"d41d8cd98f00b204e9800998ecf8427e-3"';
    expect(isPlainMd5Etag(multipart)).toBe(false);
    expect(copyReason(entry('a', { etag: multipart, lastModified: 2000 }), entry('a', { lastModified: 1000 }))).toBe('newer in source');
    expect(copyReason(entry('a', { etag: multipart, lastModified: 1000 }), entry('a', { lastModified: 2000 }))).toBeUndefined();
    expect(copyReason(entry('a', { lastModified: 2000 }), entry('a', { etag: multipart, lastModified: 2000 }))).toBeUndefined();
  });

  it('sorts every key into exactly one category; excluded target-only keys are never deletable', () => {
    const rules = parseExclusions('lambda/\n**/*.tmp').map(compileExclusion);
    const source = [entry('books/1.jpg'), entry('books/2.jpg'), entry('lambda/a.zip'), entry('x/y.tmp')];
    const target = [entry('books/2.jpg'), entry('old.jpg'), entry('lambda/staging.zip'), entry('b.tmp')];
    const diff = diffBuckets(source, target, rules);
    expect(diff.toCopy.map((i) => i.source.key)).toEqual(['books/1.jpg']);
    expect(diff.toSkip.map((o) => o.key)).toEqual(['books/2.jpg']);
    expect(diff.excluded.map((o) => o.key)).toEqual(['lambda/a.zip', 'x/y.tmp']);
    expect(diff.targetOnly.map((o) => o.key)).toEqual(['old.jpg']);
    expect(diff.targetOnlyExcluded.map((o) => o.key)).toEqual(['lambda/staging.zip', 'b.tmp']);
  });

  it('the max-delete guard names the number and how to allow it', () => {
    const diff = diffBuckets([], [entry('a'), entry('b'), entry('c')], []);
    expect(deleteGuardProblem(diff, { delete: false, maxDelete: 1 })).toBeUndefined();
    expect(deleteGuardProblem(diff, { delete: true, maxDelete: 3 })).toBeUndefined();
    expect(deleteGuardProblem(diff, { delete: true, maxDelete: 2 })).toContain('would delete 3 objects, more than `max-delete` (2)');
  });
});

describe('images inputs', () => {
  const base = { 'source-bucket': 'prod-images', 'target-bucket': 'staging-images', mode: 'images-only', 'dry-run': 'true' };
  const read = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';

  it('default to auto, 64 at a time, no deletion, max-delete 1000, copy engine auto above 100,000', () => {
    const result = buildConfig(read(base));
    expect(result.ok && result.config.images).toEqual({
      copyMethod: 'auto',
      concurrency: 64,
      delete: false,
      maxDelete: 1000,
      copyEngine: 'auto',
      batchThreshold: 100_000,
      tempDir: tmpdir(),
    });
    // On a runner, what does not fit in memory goes to RUNNER_TEMP (emptied after every job).
    const onRunner = buildConfig(read(base), { tempDir: '/home/runner/work/_temp' });
    expect(onRunner.ok && onRunner.config.images.tempDir).toBe('/home/runner/work/_temp');
  });

  it('report bad values together, each saying what is allowed', () => {
    const result = buildConfig(read({ ...base, 'copy-method': 'rsync', concurrency: '0', delete: 'maybe', 'max-delete': '-1' }));
    expect(!result.ok && result.problems).toEqual([
      '`copy-method` must be one of auto, server-side, stream, got `rsync`.',
      '`concurrency` must be a whole number from 1 to 512, got `0`.',
      '`delete` must be `true` or `false`, got `maybe`.',
      '`max-delete` must be a whole number from 0 to 10000000, got `-1`.',
    ]);
  });

  it('auto copies server-side only when one set of credentials serves both sides', () => {
    expect(resolveCopyMethod('auto', true)).toBe('server-side');
    expect(resolveCopyMethod('auto', false)).toBe('stream');
    expect(resolveCopyMethod('stream', true)).toBe('stream');
  });
});

describe('copy helpers', () => {
  it('cuts a stream into parts of exactly the part size', async () => {
    async function* pieces() {
      for (const n of [3, 7, 1, 9, 4]) yield Buffer.alloc(n, n);
    }
    const parts: number[] = [];
    for await (const part of fixedSizeChunks(pieces(), 5)) parts.push(part.length);
    expect(parts).toEqual([5, 5, 5, 5, 4]);
  });

  it('encodes copy sources segment by segment', () => {
    expect(copySource('prod', 'books/7/back cover+1 é.jpg')).toBe('prod/books/7/back%20cover%2B1%20%C3%A9.jpg');
  });

  it('retries throttling and dropped connections, not missing objects', async () => {
    expect(isTransient({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransient({ code: 'ECONNRESET', message: 'socket hang up' })).toBe(true);
    expect(isTransient({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })).toBe(false);
    let calls = 0;
    const sleep = async () => {};
    await expect(
      withS3Retry(async () => {
        if (++calls < 3) throw Object.assign(new Error('slow down'), { name: 'SlowDown' });
        return 'done';
      }, { attempts: 5, baseDelayMs: 1, sleep }),
    ).resolves.toBe('done');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withS3Retry(async () => { calls++; throw Object.assign(new Error('gone'), { name: 'NoSuchKey' }); }, { attempts: 5, baseDelayMs: 1, sleep })).rejects.toThrow('gone');
    expect(calls).toBe(1);
  });

  it('progress says objects and bytes done of the total, the rate and the time left', () => {
    const line = progressLine({ objectsDone: 1200, objectsTotal: 5010, bytesDone: 120e6, bytesTotal: 443e6, failed: 2 }, 10_000);
    expect(line).toBe('1,200 of 5,010 objects, 120 MB of 443 MB (27%), 12.0 MB/s, 120 objects/s, about 32 s left, 2 failed so far');
  });
});

describe('the Images summary', () => {
  const report = (dryRun: boolean) => {
    const r = newReport({ mode: 'images-only', dryRun, sourceName: 'production', targetName: 'staging' });
    const keys = Array.from({ length: 25 }, (_, i) => `books/${i}/cover.jpg`);
    r.images = {
      sourceObjects: 40, sourceBytes: 4000, targetObjects: 10, targetBytes: 1000, excludedObjects: 5, excludedBytes: 50,
      candidateObjects: 35, candidateBytes: 3950, skippedObjects: 10,
      plan: {
        copy: { objects: 25, bytes: 2500, keys: keys.slice(0, 20) },
        skip: { objects: 10, bytes: 1000, keys: [] },
        exclude: { objects: 5, bytes: 50, keys: ['lambda/a`b.zip'] },
        delete: { objects: 0, bytes: 0, keys: [] },
        deleteEnabled: true,
      },
    };
    return r;
  };

  it('on a dry run: planned counts and the first 20 keys of each category, folded', () => {
    const text = imagesSection(report(true)).join('\n');
    expect(text).toContain('| would be copied | 25 | 2.5 KB |');
    expect(text).toContain('| would be deleted (only in staging) | 0 | 0 B |');
    expect(text).toContain('<details>\n<summary>Would copy: 25 objects (2.5 KB)</summary>');
    expect(text).toContain('- `books/19/cover.jpg`\n- … and 5 more');
    expect(text).toContain("- `lambda/a'b.zip`");
    expect(text).not.toContain('Would delete');
  });

  it('after a failed copy: what was copied, the failures, the speed; outputs include objects-deleted', () => {
    const r = report(false);
    Object.assign(r.images!, { copiedObjects: 24, copiedBytes: 2400, failedObjects: 1, failures: [{ key: 'books/9/x.jpg', error: 'no longer there' }], deletedObjects: 0, seconds: 2, copyMethod: 'stream', concurrency: 8 });
    const text = imagesSection(r).join('\n');
    expect(text).toContain('| copied | 24 | 2.4 KB |');
    expect(text).toContain('| **failed** | 1 | — |');
    expect(text).toContain('Copied in 2.0 s (1.2 KB/s, 12 objects/s) · method: stream · concurrency: 8');
    expect(text).toContain('<summary>Failed: 1 objects</summary>\n\n- `books/9/x.jpg`: no longer there');
    expect(toOutputs(r)).toMatchObject({ 'objects-copied': '24', 'objects-deleted': '0', 'bytes-copied': '2400', 'objects-skipped': '10' });
  });
});
