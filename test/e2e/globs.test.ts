import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_VERSIONS, startFakeGitHub, startLogApps, type FakeGitHub } from '../harness/fake-api.js';
import { seedCatalogue, type SeedObject } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { bucketSnapshot, databaseSnapshot, newBucket, newDatabase, S3_ENV, s3Endpoint } from '../harness/servers.js';

/**
 * Globs through the built action: brace sets and classes in `exclusions` keep exactly the right
 * objects, `exclusions: none` copies everything, the summary says which patterns applied, a bad
 * pattern is refused before anything is written, a pattern that made a RegExp backtrack for
 * minutes ends at once, and `migration-paths: db/**\/*.{sql,py}` catches a migration.
 */

const EXCLUSIONS = '*.{tmp,bak}\nimg_[0-9].jpg';
/** Production's keys, and whether EXCLUSIONS excludes each. */
const SOURCE_KEYS: Record<string, boolean> = {
  'upload.tmp': true,
  'notes.bak': true,
  'img_1.jpg': true,
  'img_7.jpg': true,
  'report.tmp.jpg': false,
  'books/1/draft.tmp': false, // `*` stays within one segment
  'img_10.jpg': false,
  'img_a.jpg': false,
  'img_[0-9].jpg': false, // a class, not the brackets themselves
  'books/1/cover.jpg': false,
  'lambda/api.zip': false, // the input replaces the defaults
};
const sourceObjects = (): SeedObject[] => Object.keys(SOURCE_KEYS).map((key) => ({ key, body: `production ${key}`, contentType: 'application/octet-stream' }));
const targetObjects = (): SeedObject[] => [
  { key: 'old.bak', body: 'staging backup', contentType: 'application/octet-stream' },
  { key: 'stale.jpg', body: 'only on staging', contentType: 'image/jpeg' },
];

let sourceBucket: string;
let source: Record<string, string>;

beforeAll(async () => {
  sourceBucket = await newBucket('glob-prod', sourceObjects());
  source = await bucketSnapshot(sourceBucket);
});

const images = (target: string, inputs: Record<string, string>, bucket = sourceBucket) =>
  runAction(
    { mode: 'images-only', 'source-bucket': bucket, 'target-bucket': target, 's3-endpoint': s3Endpoint(), ...inputs },
    { env: S3_ENV, timeoutMs: 60_000 },
  );

describe('exclusions with brace sets and classes', () => {
  it('a dry run lists the patterns and what they exclude, and writes nothing', async () => {
    const target = await newBucket('glob-stage', targetObjects());
    const before = await bucketSnapshot(target);
    const result = await images(target, { 'dry-run': 'true', exclusions: EXCLUSIONS });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['objects-excluded']).toBe('4');
    expect(result.summary).toContain('Exclusions: `*.{tmp,bak}` · `img_[0-9].jpg`');
    expect(result.log).toContain('Exclusions: *.{tmp,bak} · img_[0-9].jpg');
    const excludedBlock = result.summary.slice(result.summary.indexOf('<summary>Excluded'));
    for (const key of ['upload.tmp', 'notes.bak', 'img_1.jpg', 'img_7.jpg']) expect(excludedBlock).toContain(`\`${key}\``);
    expect(await bucketSnapshot(target)).toEqual(before);
  });

  it('a real run copies exactly the objects no pattern excludes, deletes no excluded one', async () => {
    const target = await newBucket('glob-stage', targetObjects());
    const before = await bucketSnapshot(target);
    const result = await images(target, { confirm: 'staging', exclusions: EXCLUSIONS, delete: 'true' });
    expect(result.exitCode, result.log).toBe(0);
    const expected: Record<string, string> = { 'old.bak': before['old.bak']! }; // excluded: never deleted
    for (const [key, excluded] of Object.entries(SOURCE_KEYS)) if (!excluded) expected[key] = source[key]!;
    expect(await bucketSnapshot(target)).toEqual(expected);
    expect(result.outputs['objects-copied']).toBe('7');
    expect(result.outputs['objects-deleted']).toBe('1');
  });

  it('`!pattern` re-includes what an earlier pattern excluded', async () => {
    const target = await newBucket('glob-stage', []);
    const result = await images(target, { confirm: 'staging', exclusions: '*.{tmp,bak}\nimg_*.jpg\n!img_1*.jpg' });
    expect(result.exitCode, result.log).toBe(0);
    expect(Object.keys(await bucketSnapshot(target)).sort()).toEqual(
      ['books/1/cover.jpg', 'books/1/draft.tmp', 'img_1.jpg', 'img_10.jpg', 'lambda/api.zip', 'report.tmp.jpg'].sort(),
    );
  });

  it('`exclusions: none` copies everything', async () => {
    const target = await newBucket('glob-stage', []);
    const result = await images(target, { confirm: 'staging', exclusions: 'none' });
    expect(result.exitCode, result.log).toBe(0);
    expect(await bucketSnapshot(target)).toEqual(source);
    expect(result.outputs['objects-excluded']).toBe('0');
    expect(result.summary).toContain('Exclusions: none (`exclusions: none`): every object is copied.');
  });

  it('an empty input applies the defaults, and the summary names them', async () => {
    const target = await newBucket('glob-stage', []);
    const result = await images(target, { 'dry-run': 'true', exclusions: '' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['objects-excluded']).toBe('1');
    expect(result.summary).toContain('Exclusions (the defaults): `lambda/` · `deploy/` · `data-import/` · `listings/` — `exclusions: none` copies everything.');
  });

  it('a bad pattern fails the run before anything is written, naming the pattern', async () => {
    const target = await newBucket('glob-stage', targetObjects());
    const before = await bucketSnapshot(target);
    const result = await images(target, { confirm: 'staging', exclusions: 'lambda/\nimg_[0-9.jpg\n*.{tmp,bak' });
    expect(result.exitCode).toBe(1);
    for (const text of [
      '`exclusions` holds `img_[0-9.jpg`, which is not a valid pattern: the `[` at character 5 is never closed',
      '`exclusions` holds `*.{tmp,bak`, which is not a valid pattern: the `{` at character 3 is never closed',
    ]) {
      expect(result.log).toContain(text);
      expect(result.summary).toContain(text);
    }
    expect(await bucketSnapshot(target)).toEqual(before);
  });
});

describe('a pathological exclusion pattern', () => {
  it('ends at once on a few hundred long keys (a backtracking RegExp spun for minutes)', async () => {
    const deep = `${'a/'.repeat(10)}${'a'.repeat(150)}`;
    const keys = [...Array.from({ length: 150 }, (_, n) => `${deep}${n % 10 === 0 ? 'a' : 'c'}${n}`), ...Array.from({ length: 50 }, (_, n) => `${deep}-${n}b`)];
    const bucket = await newBucket('glob-slow', keys.map((key) => ({ key, body: 'x' })));
    const target = await newBucket('glob-stage', []);
    const started = performance.now();
    const result = await images(target, { 'dry-run': 'true', exclusions: '**/**/**/**/**/*a*a*a*a*a*b' }, bucket);
    const seconds = (performance.now() - started) / 1000;
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['objects-excluded']).toBe('50');
    expect(seconds).toBeLessThan(30);
  });
});

describe('migration-paths with a brace set', () => {
  const TOKEN = 'ghs_globsTestToken123';
  let sourceDb: string;
  let targetDb: string;
  let apps: Awaited<ReturnType<typeof startLogApps>>;
  let github: FakeGitHub;

  beforeAll(async () => {
    [sourceDb, targetDb] = await Promise.all([newDatabase('glob_prod'), newDatabase('glob_staging')]);
    await Promise.all([seedCatalogue(sourceDb, { books: 20, migration: 'd688bcd' }), seedCatalogue(targetDb, { books: 10, migration: '588327b', titlePrefix: 'Old ' })]);
    apps = await startLogApps({ productionDb: sourceDb, stagingDb: targetDb });
    github = await startFakeGitHub({
      repository: 'acme/bookshelf',
      token: TOKEN,
      comparisons: [{ base: LOG_VERSIONS.staging.git_sha, head: LOG_VERSIONS.production.git_sha, aheadBy: 2, files: ['README.md', 'db/migrate/0042_add_isbn.py', 'app/models.py'] }],
    });
  });

  afterAll(async () => {
    await Promise.all([apps?.close(), github?.close()]);
  });

  it('`db/**/*.{sql,py}` catches the migration, so fail-on-schema-change stops before any change', async () => {
    const before = await databaseSnapshot(targetDb);
    const result = await runAction(
      {
        mode: 'db-only',
        confirm: 'staging',
        'source-database-url': sourceDb,
        'target-database-url': targetDb,
        'source-api-url': apps.production.url,
        'target-api-url': apps.staging.url,
        'github-token': TOKEN,
        'migration-paths': 'db/**/*.{sql,py}, schema/',
        'on-version-mismatch': 'fail-on-schema-change',
      },
      { env: { ...S3_ENV, GITHUB_API_URL: github.apiUrl } },
    );
    expect(result.exitCode, result.log).toBe(1);
    expect(result.summary).toContain('**migrations only in production:** `db/migrate/0042_add_isbn.py`');
    expect(result.summary).toContain('**staging is unchanged (the run stopped before writing anything).**');
    expect(await databaseSnapshot(targetDb)).toEqual(before);
  });

  it('a bad migration-paths pattern is refused, naming it', async () => {
    const result = await runAction(
      { mode: 'db-only', 'dry-run': 'true', 'source-database-url': sourceDb, 'target-database-url': targetDb, 'migration-paths': 'db/**/*.{sql,py' },
      { env: S3_ENV },
    );
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`migration-paths` holds `db/**/*.{sql,py`, which is not a valid pattern: the `{` at character 9 is never closed');
  });
});
