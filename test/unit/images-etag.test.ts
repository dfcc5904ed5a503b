import { describe, expect, it } from 'vitest';
import { diffBuckets, etagIsContentMd5, needsRecheck, recheckedReason, sameChecksum, type ObjectFacts } from '../../src/s3/diff.js';
import type { ObjectEntry } from '../../src/s3/list.js';

const entry = (over: Partial<ObjectEntry> = {}): ObjectEntry => ({ key: 'books/1/cover.jpg', size: 400, etag: '"0123456789abcdef0123456789abcdef"', lastModified: 1_000, ...over });
const older = entry({ etag: '"fedcba9876543210fedcba9876543210"', lastModified: 500 });
const newer = entry({ etag: '"fedcba9876543210fedcba9876543210"', lastModified: 2_000 });
const kms: ObjectFacts = { encryption: 'aws:kms' };
const sseS3: ObjectFacts = { encryption: 'AES256' };

/** The listings' verdict, then the HEADs' verdict on it. */
function verdict(source: ObjectEntry, target: ObjectEntry, sourceFacts: ObjectFacts | undefined, targetFacts: ObjectFacts | undefined) {
  const [item] = diffBuckets([source], [target], []).toCopy;
  if (!item) return 'skipped by the listing';
  if (!needsRecheck(item)) return item.reason;
  return recheckedReason(item, sourceFacts, targetFacts) ?? 'skipped';
}

describe('which ETags are MD5s of the bytes', () => {
  it('not those of SSE-KMS, DSSE-KMS or SSE-C objects', () => {
    expect(etagIsContentMd5({})).toBe(true);
    expect(etagIsContentMd5(sseS3)).toBe(true);
    expect(etagIsContentMd5(kms)).toBe(false);
    expect(etagIsContentMd5({ encryption: 'aws:kms:dsse' })).toBe(false);
    expect(etagIsContentMd5({ customerKey: true })).toBe(false);
  });
});

describe('an object whose 32-hex ETags differ while the sizes match', () => {
  it('is copied when both ETags really are MD5s', () => {
    expect(verdict(entry(), older, sseS3, {})).toBe('content differs');
  });

  it('is not copied again when either side is SSE-KMS and the source is not newer', () => {
    expect(verdict(entry(), newer, kms, kms)).toBe('skipped');
    expect(verdict(entry(), newer, kms, sseS3)).toBe('skipped');
    expect(verdict(entry(), newer, sseS3, { encryption: 'aws:kms:dsse' })).toBe('skipped');
    expect(verdict(entry(), newer, { customerKey: true }, sseS3)).toBe('skipped');
  });

  it('is copied when either side is SSE-KMS and the source is newer', () => {
    expect(verdict(entry(), older, kms, kms)).toBe('newer in source');
  });

  it('is settled by full-object checksums of the same algorithm, whatever the encryption and dates', () => {
    const crc = (value: string): ObjectFacts => ({ encryption: 'aws:kms', checksums: { CRC64NVME: value }, checksumType: 'FULL_OBJECT' });
    expect(verdict(entry(), newer, crc('AAAA'), crc('BBBB'))).toBe('content differs');
    expect(verdict(entry(), older, crc('AAAA'), crc('AAAA'))).toBe('skipped');
    // Different algorithms on each side: nothing to compare, the dates decide.
    expect(verdict(entry(), newer, crc('AAAA'), { encryption: 'aws:kms', checksums: { SHA256: 'AAAA' } })).toBe('skipped');
  });

  it('ignores composite checksums: they depend on the part sizes', () => {
    expect(sameChecksum({ checksums: { SHA256: 'x-3' } }, { checksums: { SHA256: 'y-2' } })).toBeUndefined();
    expect(sameChecksum({ checksums: { CRC32: 'x' }, checksumType: 'COMPOSITE' }, { checksums: { CRC32: 'y' } })).toBeUndefined();
    expect(sameChecksum({ checksums: { CRC32: 'x', SHA256: 's' } }, { checksums: { SHA256: 's' } })).toBe(true);
  });

  it('keeps the listing verdict when a HEAD failed', () => {
    expect(verdict(entry(), newer, undefined, kms)).toBe('content differs');
  });

  it('is not HEADed at all when missing, of another size, multipart or with equal ETags', () => {
    expect(verdict(entry(), entry({ size: 401 }), kms, kms)).toBe('size differs');
    expect(verdict(entry(), entry(), kms, kms)).toBe('skipped by the listing');
    expect(verdict(entry({ etag: '"abc-3"', lastModified: 3_000 }), newer, kms, kms)).toBe('newer in source');
  });
});
