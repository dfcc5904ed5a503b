import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOG_VERSIONS, startLogApps } from '../harness/fake-api.js';
import { startFakeGitHub, type FakeGitHub } from '../harness/fake-github.js';
import { productionImages, seedCatalogue, stagingImages } from '../harness/fixtures.js';
import { runAction } from '../harness/run-action.js';
import { bucketSnapshot, databaseSnapshot, newBucket, newDatabase, S3_ENV, s3Endpoint } from '../harness/servers.js';

const PR = 42;
const COMMENT_ID = 777;
const TOKEN = 'ghs_faketoken0123456789';

let github: FakeGitHub;
let payloadDir: string;
let sourceDb: string;
let targetDb: string;
let sourceBucket: string;
let targetBucket: string;

beforeAll(async () => {
  github = await startFakeGitHub();
  github.setRole('maya', 'maintain');
  github.setRole('wes', 'write');
  github.setRole('rita', 'read');
  github.setRole('tom', 'triage');
  payloadDir = await mkdtemp(path.join(tmpdir(), 'p2s-events-'));
  [sourceDb, targetDb] = await Promise.all([newDatabase('prod'), newDatabase('staging')]);
  await Promise.all([
    seedCatalogue(sourceDb, { books: 120, migration: 'd688bcd' }),
    seedCatalogue(targetDb, { books: 80, migration: 'd688bcd', titlePrefix: 'Old ' }),
  ]);
  [sourceBucket, targetBucket] = await Promise.all([newBucket('prod-images', productionImages(12)), newBucket('staging-images', stagingImages(6))]);
});

afterAll(async () => {
  await github?.close();
});

beforeEach(() => github.reset());

interface CommentOptions {
  action?: string;
  user?: string;
  userType?: string;
  onIssue?: boolean;
}

/** Writes an `issue_comment` webhook payload, shaped like GitHub's, and returns its path. */
async function commentEvent(body: string, opts: CommentOptions = {}): Promise<string> {
  const user = opts.user ?? 'maya';
  const payload = {
    action: opts.action ?? 'created',
    issue: {
      number: PR,
      title: 'Add reading lists',
      ...(opts.onIssue ? {} : { pull_request: { url: `https://api.github.com/repos/acme/bookshelf/pulls/${PR}` } }),
    },
    comment: { id: COMMENT_ID, body, user: { login: user, type: opts.userType ?? 'User' }, author_association: 'OWNER' },
    repository: { full_name: 'acme/bookshelf', name: 'bookshelf', owner: { login: 'acme' } },
    sender: { login: user, type: opts.userType ?? 'User' },
  };
  const file = path.join(payloadDir, `event-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(payload));
  return file;
}

/** The workflow's own inputs: what an issue_comment workflow passes (no mode, dry-run or confirm). */
const workflowInputs = () => ({
  'source-database-url': sourceDb,
  'target-database-url': targetDb,
  'source-bucket': sourceBucket,
  'target-bucket': targetBucket,
  's3-endpoint': s3Endpoint(),
  'github-token': TOKEN,
});

async function runOnComment(body: string, opts: CommentOptions = {}, inputs: Record<string, string> = {}) {
  const eventPath = await commentEvent(body, opts);
  return runAction(
    { ...workflowInputs(), ...inputs },
    { env: { ...S3_ENV, GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: eventPath, GITHUB_API_URL: github.url } },
  );
}

const snapshotTarget = async () => ({ db: await databaseSnapshot(targetDb), bucket: await bucketSnapshot(targetBucket) });
const calls = () => github.requests.map((r) => `${r.method} ${r.path}`);
const RUN_LINK = 'https://github.com/acme/bookshelf/actions/runs/1234';

describe('the /refresh-staging pull-request comment', () => {
  it('accepted and confirmed: refreshes the images for real, reacts 👀 then 🚀 and replies with the copy totals', async () => {
    // images-only: the database refresh engine is being built in parallel; the images engine is in place.
    const result = await runOnComment('/refresh-staging staging images-only\nthanks!', { user: 'maya' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('synced');
    expect(calls()).toEqual([
      'GET /repos/acme/bookshelf/collaborators/maya/permission',
      `POST /repos/acme/bookshelf/issues/comments/${COMMENT_ID}/reactions`,
      `POST /repos/acme/bookshelf/issues/${PR}/comments`,
      `POST /repos/acme/bookshelf/issues/comments/${COMMENT_ID}/reactions`,
    ]);
    expect(github.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    expect(github.reactions).toEqual([`${COMMENT_ID}:eyes`, `${COMMENT_ID}:rocket`]);
    const reply = github.comments[0]!.body;
    expect(reply).toContain('🚀 staging refreshed from production');
    expect(reply).toContain('Mode `images-only` · requested by @maya');
    expect(reply).toMatch(/Images: \d+ objects copied \([\d.]+ [KM]?B\), \d+ already identical, 5 excluded\./);
    expect(reply).toContain(RUN_LINK);
    expect(reply).not.toContain(TOKEN);
    // The bytes really arrived: every production cover is in staging, the excluded prefixes are not.
    const bucket = await bucketSnapshot(targetBucket);
    const production = await bucketSnapshot(sourceBucket);
    expect(bucket['books/12/cover.jpg']).toBe(production['books/12/cover.jpg']);
    expect(bucket['books/1/cover.jpg']).toBe(production['books/1/cover.jpg']);
    expect(bucket['lambda/api.zip']).toBeUndefined();
  });

  it('accepted and confirmed: replaces staging\'s database for real and replies with the book counts', async () => {
    // Its own staging database, so the other tests keep theirs as seeded.
    const ownTarget = await newDatabase('staging');
    await seedCatalogue(ownTarget, { books: 80, migration: 'd688bcd', titlePrefix: 'Old ' });
    const result = await runOnComment('/refresh-staging db-only staging', { user: 'wes' }, { 'target-database-url': ownTarget });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('synced');
    expect(github.reactions).toEqual([`${COMMENT_ID}:eyes`, `${COMMENT_ID}:rocket`]);
    const reply = github.comments[0]!.body;
    expect(reply).toContain('🚀 staging refreshed from production');
    expect(reply).toMatch(/\| rows \| 120 \| 80 \| 120 \|/);
    expect(reply).toMatch(/Database: \d+ tables, [\d,]+ rows copied\./);
    expect(await databaseSnapshot(ownTarget)).toEqual(await databaseSnapshot(sourceDb));
  });

  it('without the target name: a dry run that changes nothing, and the reply says how to confirm', async () => {
    const before = await snapshotTarget();
    const result = await runOnComment('/refresh-staging db-only', { user: 'wes' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('dry-run');
    expect(result.outputs['books-source']).toBe('120');
    expect(result.outputs['books-target-before']).toBe('80');
    expect(github.reactions).toEqual([`${COMMENT_ID}:eyes`, `${COMMENT_ID}:rocket`]);
    const reply = github.comments[0]!.body;
    expect(reply).toContain('🔍 Dry run: staging would be refreshed from production (nothing was changed)');
    expect(reply).toMatch(/\| rows \| 120 \| 80 \| 120 \|/);
    expect(reply).toContain('To refresh staging for real, comment `/refresh-staging staging db-only`');
    expect(reply).toContain(RUN_LINK);
    expect(await snapshotTarget()).toEqual(before);
  });

  it('the reply carries the version-mismatch note when the two environments run different code', async () => {
    const apps = await startLogApps({ productionDb: sourceDb, stagingDb: targetDb });
    try {
      const result = await runOnComment('/refresh-staging db-only', { user: 'maya' }, { 'source-api-url': apps.production.url, 'target-api-url': apps.staging.url });
      expect(result.exitCode, result.log).toBe(0);
      expect(result.outputs['version-mismatch']).toBe('true');
      const reply = github.comments[0]!.body;
      expect(reply).toContain(`⚠️ Version mismatch: production runs \`${LOG_VERSIONS.production.version}\`, staging runs \`${LOG_VERSIONS.staging.version}\` — noted and went on`);
      expect(reply).toContain('To refresh staging for real, comment `/refresh-staging staging db-only`');
    } finally {
      await apps.close();
    }
  });

  it('the target on what a reader sees as the second line (CR, U+2028) is no confirmation: a dry run', async () => {
    // Its own staging database: were the comment taken as confirmed, it would be overwritten.
    const ownTarget = await newDatabase('staging');
    await seedCatalogue(ownTarget, { books: 80, migration: 'd688bcd', titlePrefix: 'Old ' });
    const before = await databaseSnapshot(ownTarget);
    for (const lineBreak of ['\r', '\u2028']) {
      github.reset();
      const result = await runOnComment(`/refresh-staging db-only${lineBreak}staging`, { user: 'maya' }, { 'target-database-url': ownTarget });
      expect(result.exitCode, result.log).toBe(0);
      expect(result.outputs.status).toBe('dry-run');
      expect(github.comments[0]!.body).toContain('To refresh staging for real, comment `/refresh-staging staging db-only`');
      expect(await databaseSnapshot(ownTarget)).toEqual(before);
    }
  });

  it('the target named with --dry-run is still a dry run', async () => {
    const before = await snapshotTarget();
    const result = await runOnComment('/refresh-staging staging db-only --dry-run', { user: 'maya' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('dry-run');
    expect(await snapshotTarget()).toEqual(before);
  });

  it('a reader is refused with 👎 and a reply saying who may; nothing runs and nothing changes', async () => {
    const before = await snapshotTarget();
    const result = await runOnComment('/refresh-staging staging', { user: 'rita' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(calls()).toEqual([
      'GET /repos/acme/bookshelf/collaborators/rita/permission',
      `POST /repos/acme/bookshelf/issues/comments/${COMMENT_ID}/reactions`,
      `POST /repos/acme/bookshelf/issues/${PR}/comments`,
    ]);
    expect(github.reactions).toEqual([`${COMMENT_ID}:-1`]);
    expect(github.comments[0]!.body).toContain(
      '@rita, only people with `admin`, `maintain` or `write` access to acme/bookshelf may run `/refresh-staging`; your access is `read`. Nothing was run.',
    );
    expect(result.log).toContain('check permission failed');
    expect(result.summary).toContain('has `read` access');
    expect(await snapshotTarget()).toEqual(before);
  });

  it('triage (reported as `read` by the legacy field) and non-collaborators are refused too', async () => {
    const triage = await runOnComment('/refresh-staging staging db-only', { user: 'tom' });
    expect(triage.exitCode).toBe(1);
    expect(github.comments.at(-1)!.body).toContain('your access is `triage`');
    const stranger = await runOnComment('/refresh-staging staging db-only', { user: 'mallory' });
    expect(stranger.exitCode).toBe(1);
    expect(github.comments.at(-1)!.body).toContain('@mallory, only people with');
    expect(github.comments.at(-1)!.body).toContain('your access is `none`');
  });

  it('a malformed command gets the syntax reply and nothing runs', async () => {
    const before = await snapshotTarget();
    const cases = [
      ['/refresh-staging staging everything', '`everything` is neither this workflow\'s target (`staging`) nor a mode'],
      ['/refresh-staging staging --force', 'unknown flag `--force`'],
      ['/refresh-staging production db-only', '`production` is the source this workflow copies from; the target it overwrites is `staging`'],
      ['/refresh-staging Staging', '`Staging` is not exactly the target\'s name'],
    ] as const;
    for (const [comment, problem] of cases) {
      github.reset();
      const result = await runOnComment(comment, { user: 'maya' });
      expect(result.exitCode, comment).toBe(1);
      expect(result.outputs.status).toBe('failed');
      expect(github.reactions).toEqual([`${COMMENT_ID}:-1`]);
      const reply = github.comments[0]!.body;
      expect(reply).toContain('nothing was run: the command could not be read');
      expect(reply).toContain(problem);
      expect(reply).toContain('Syntax: `/refresh-staging [staging] [full|db-only|images-only] [--dry-run]`');
      expect(result.log).not.toMatch(/Inspect (databases|buckets)/);
    }
    expect(await snapshotTarget()).toEqual(before);
  });

  it('an unrelated comment is skipped: status skipped, no API call, exit 0', async () => {
    for (const body of ['LGTM, but can we /refresh-staging later?', '/refresh-stagingnow', '']) {
      const result = await runOnComment(body, { user: 'maya' });
      expect(result.exitCode, result.log).toBe(0);
      expect(result.outputs.status).toBe('skipped');
      expect(result.outputs['books-source']).toBe('');
      expect(result.summary).toContain('Skipped: the comment does not start with /refresh-staging. Nothing was run.');
    }
    expect(github.requests).toEqual([]);
  });

  it('an edited comment, a bot comment and a comment on an issue are ignored', async () => {
    const before = await snapshotTarget();
    const runs = [
      await runOnComment('/refresh-staging staging', { action: 'edited' }),
      await runOnComment('/refresh-staging staging', { user: 'github-actions[bot]', userType: 'Bot' }),
      await runOnComment('/refresh-staging staging', { user: 'renovate', userType: 'Bot' }),
      await runOnComment('/refresh-staging staging', { onIssue: true }),
    ];
    expect(runs.map((r) => [r.exitCode, r.outputs.status])).toEqual(Array(4).fill([0, 'skipped']));
    expect(runs[0]!.log).toContain('not created');
    expect(runs[1]!.log).toContain('by a bot');
    expect(github.requests).toEqual([]);
    expect(await snapshotTarget()).toEqual(before);
  });

  it('a permission lookup that fails refuses (fails closed)', async () => {
    github.failPath('/repos/acme/bookshelf/collaborators/maya/permission', 500);
    const before = await snapshotTarget();
    const result = await runOnComment('/refresh-staging staging db-only', { user: 'maya' });
    expect(result.exitCode).toBe(1);
    expect(github.comments[0]!.body).toContain('your permission on this repository could not be checked');
    expect(await snapshotTarget()).toEqual(before);
  });

  it.each(['no-answer', 'mid-body'] as const)('a permission lookup that hangs (%s) refuses within `network-timeout`, naming GitHub', async (mode) => {
    github.hangPath('/repos/acme/bookshelf/collaborators/maya/permission', mode);
    const before = await snapshotTarget();
    const started = Date.now();
    const result = await runOnComment('/refresh-staging staging db-only', { user: 'maya' }, { 'network-timeout': '1s' });
    expect(result.exitCode, result.log).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.log).toContain(`could not look up @maya's permission on acme/bookshelf: GitHub's API at ${github.url} did not answer within 1 s (\`network-timeout\`)`);
    expect(github.comments[0]!.body).toContain('your permission on this repository could not be checked');
    expect(await snapshotTarget()).toEqual(before);
  });

  it('a reply that hangs does not hold the run: it ends within `network-timeout` of the reply', async () => {
    github.hangPath(`/repos/acme/bookshelf/issues/${PR}/comments`, 'no-answer');
    const started = Date.now();
    const result = await runOnComment('/refresh-staging images-only --dry-run', { user: 'maya' }, { 'network-timeout': '1s' });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.status).toBe('dry-run');
    expect(result.log).toContain(`did not answer within 1 s (\`network-timeout\`)`);
  });

  it('without a token the permission cannot be checked, so nothing runs', async () => {
    const result = await runOnComment('/refresh-staging staging db-only', { user: 'maya' }, { 'github-token': '' });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`github-token` is empty');
    expect(github.requests).toEqual([]);
  });

  it('honours the command and allowed-permissions inputs', async () => {
    const result = await runOnComment('/sync-staging db-only', { user: 'wes' }, { command: '/sync-staging', 'allowed-permissions': 'admin,maintain' });
    expect(result.exitCode).toBe(1);
    expect(github.comments[0]!.body).toContain('only people with `admin` or `maintain` access');
    const old = await runOnComment('/refresh-staging db-only', { user: 'maya' }, { command: '/sync-staging' });
    expect(old.outputs.status).toBe('skipped');
  });
});
