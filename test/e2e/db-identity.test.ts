import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingState } from '../harness/db-fixtures.js';
import { startFakeAws } from '../harness/fake-aws.js';
import { startFakeCognito, type FakeCognito, type FakeCognitoOptions, type FakePoolUser } from '../harness/fake-cognito.js';
import { runAction, type ActionRun } from '../harness/run-action.js';
import { bucketSnapshot, newBucket, newDatabase, query, S3_ENV, s3Endpoint } from '../harness/servers.js';

/** Issue 12 item 4: after the load, users are re-pointed at staging's Cognito pool, inside the refresh transaction. */

const POOL_ID = 'us-east-1_StAgInG42';
const STAGING_KEYS = { AWS_ACCESS_KEY_ID: 'AKIDSTAGINGPOOLREADER', AWS_SECRET_ACCESS_KEY: 'staging-secret-key', AWS_EC2_METADATA_DISABLED: 'true' };

const SCHEMA = `
  CREATE TABLE users (
    id serial PRIMARY KEY,
    email text UNIQUE,
    full_name text NOT NULL,
    cognito_sub uuid UNIQUE
  );
  CREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users, total numeric(10,2));
`;
const prodSub = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const poolSub = (n: number) => `5a9e0000-0000-4000-9000-${String(n).padStart(12, '0')}`;
// Production: person1..10 with production's subs, an address two pool users share, a row without
// e-mail (but with a sub), and one without sub and without pool user.
const PRODUCTION_ROWS = `
  INSERT INTO users (email, full_name, cognito_sub)
  SELECT 'person' || g || '@corp.example', 'Person ' || g, ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid FROM generate_series(1, 10) g;
  INSERT INTO users (email, full_name, cognito_sub) VALUES
    ('shared@corp.example', 'Shared Inbox', '${prodSub(11)}'),
    (NULL, 'Phone Only', '${prodSub(12)}'),
    ('nosub@corp.example', 'Never Logged In', NULL);
  INSERT INTO orders (user_id, total) SELECT 1 + g % 13, g * 2.5 FROM generate_series(1, 40) g;
`;
// Staging's pool: person1..7 (some in other case), two testers with no row, a user without
// e-mail, and two users sharing one address: 12 users, 4 pages of 3.
const POOL: FakePoolUser[] = [
  ...[1, 2, 3, 4, 5, 6, 7].map((n) => ({ username: `user-${n}`, email: n % 2 ? `Person${n}@Corp.Example` : `person${n}@corp.example`, sub: poolSub(n) })),
  { username: 'tester', email: 'tester@staging.example', sub: poolSub(20) },
  { username: 'qa', email: 'qa@staging.example', sub: poolSub(21) },
  { username: 'phone-user', sub: poolSub(22) },
  { username: 'shared-a', email: 'shared@corp.example', sub: poolSub(23) },
  { username: 'shared-b', email: 'SHARED@corp.example', sub: poolSub(24) },
];
const ALL_VALUES = [
  ...POOL.flatMap((u) => [u.sub, u.email ?? 'no-email']),
  ...Array.from({ length: 12 }, (_, i) => prodSub(i + 1)),
  ...Array.from({ length: 10 }, (_, i) => `person${i + 1}@corp.example`),
  'nosub@corp.example',
];

const fakes: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

async function cognito(options: Partial<FakeCognitoOptions> = {}): Promise<FakeCognito> {
  const fake = await startFakeCognito({ pools: { [POOL_ID]: POOL }, pageSize: 3, ...options });
  fakes.push(fake);
  return fake;
}

async function newPair(): Promise<{ production: string; staging: string }> {
  const [production, staging] = await Promise.all([newDatabase('id_prod'), newDatabase('id_staging')]);
  await query(production, SCHEMA + PRODUCTION_ROWS);
  await query(staging, SCHEMA + `INSERT INTO users (email, full_name, cognito_sub) VALUES ('tester@staging.example', 'Tester', '${poolSub(20)}');`);
  return { production, staging };
}

const refresh = (production: string, staging: string, fake: { env: Record<string, string> }, inputs: Record<string, string> = {}, env: Record<string, string> = STAGING_KEYS) =>
  runAction(
    { mode: 'db-only', confirm: 'staging', 'source-database-url': production, 'target-database-url': staging, 'cognito-user-pool-id': POOL_ID, ...inputs },
    { env: { ...env, ...fake.env } },
  );

async function subjects(staging: string): Promise<Record<string, string | null>> {
  const rows = await query<{ name: string; sub: string | null }>(staging, 'SELECT full_name AS name, cognito_sub::text AS sub FROM users ORDER BY id');
  return Object.fromEntries(rows.map((r) => [r.name, r.sub]));
}

function expectNoPersonalData(run: ActionRun) {
  for (const text of [run.visibleLog, run.summary]) {
    for (const value of ALL_VALUES) expect(text.toLowerCase(), value).not.toContain(value.toLowerCase());
  }
}

describe('identity remap to staging\'s Cognito pool (identity-unmatched: null, the default)', () => {
  let production: string;
  let staging: string;
  let fake: FakeCognito;
  let run: ActionRun;

  beforeAll(async () => {
    ({ production, staging } = await newPair());
    fake = await cognito();
    run = await refresh(production, staging, fake);
  });

  it('gives every matched row its pool user\'s sub (e-mails compared case-insensitively), across every page of the pool', async () => {
    expect(run.exitCode, run.log).toBe(0);
    const got = await subjects(staging);
    for (const n of [1, 2, 3, 4, 5, 6, 7]) expect(got[`Person ${n}`], `Person ${n}`).toBe(poolSub(n));
    // The inspection reads one page (access checked before anything is written); then, 12 users,
    // 3 per page: 4 pages, each after the first asked for with the token the previous one gave.
    const listUsers = fake.calls.filter((c) => c.action === 'ListUsers');
    expect(listUsers.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    expect(listUsers.map((c) => Boolean(c.paginationToken))).toEqual([false, false, true, true, true]);
    expect(new Set(listUsers.map((c) => c.caller))).toEqual(new Set([STAGING_KEYS.AWS_ACCESS_KEY_ID]));
  });

  it('clears production\'s subs where staging\'s pool has nobody with the e-mail (or several users share it); the rest of the data is production\'s', async () => {
    const got = await subjects(staging);
    for (const name of ['Person 8', 'Person 9', 'Person 10', 'Shared Inbox', 'Phone Only', 'Never Logged In']) expect(got[name], name).toBeNull();
    const productionSubs = await query<{ n: number }>(staging, `SELECT count(*)::int AS n FROM users WHERE cognito_sub::text LIKE '00000000-%'`);
    expect(productionSubs).toEqual([{ n: 0 }]);
    expect(await query(staging, 'SELECT id, email, full_name FROM users ORDER BY id')).toEqual(await query(production, 'SELECT id, email, full_name FROM users ORDER BY id'));
    expect(await query(staging, 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 40 }]);
  });

  it('reports counts in the log and the summary, never an e-mail address or a sub', () => {
    const line =
      "`public.users.cognito_sub` re-pointed at staging's Cognito pool `us-east-1_StAgInG42` (12 users listed, matched on `email`): " +
      "7 rows set to their pool user's `sub`; 5 rows without a pool user: subject cleared (`identity-unmatched: null`); 2 pool users without a row; " +
      '1 e-mail address shared by several pool users (their rows count as without a pool user); 1 pool user without an e-mail; ' +
      '1 row with neither a subject nor a pool user left as they are.';
    expect(run.summary).toContain(`**Identity remap:** ${line}`);
    expect(run.visibleLog).toContain(`Identity remap: ${line}`);
    expect(run.visibleLog).toContain("Identity remap: listed 12 users of staging's Cognito pool `us-east-1_StAgInG42` (4 pages");
    expectNoPersonalData(run);
  });
});

describe('identity remap: the other `identity-unmatched` choices', () => {
  it('keep: matched rows get staging\'s sub, the others keep production\'s', async () => {
    const { production, staging } = await newPair();
    const run = await refresh(production, staging, await cognito(), { 'identity-unmatched': 'keep' });
    expect(run.exitCode, run.log).toBe(0);
    const got = await subjects(staging);
    expect(got['Person 2']).toBe(poolSub(2));
    expect(got['Person 8']).toBe(prodSub(8));
    expect(got['Phone Only']).toBe(prodSub(12));
    expect(got['Never Logged In']).toBeNull();
    expect(run.summary).toContain('5 rows without a pool user: subject kept as production had it (`identity-unmatched: keep`)');
    expectNoPersonalData(run);
  });

  it('fail: rows without a pool user roll the whole refresh back, and say what to do', async () => {
    const { production, staging } = await newPair();
    const before = await stagingState(staging);
    const run = await refresh(production, staging, await cognito(), { 'identity-unmatched': 'fail' });
    expect(run.exitCode, run.log).toBe(1);
    expect(run.visibleLog).toContain(
      "5 rows of `public.users` hold a `cognito_sub` but no user of staging's Cognito pool `us-east-1_StAgInG42` has their `email` (`identity-unmatched: fail`)",
    );
    expect(run.summary).toContain('set `identity-unmatched` to `null` (clear their subject) or `keep`');
    expect(run.summary).toContain('unchanged (the transaction was rolled back)');
    expect(await stagingState(staging)).toEqual(before);
    expectNoPersonalData(run);
  });

  it('fail with every row matched: the refresh commits', async () => {
    const [production, staging] = await Promise.all([newDatabase('id_prod'), newDatabase('id_staging')]);
    await query(production, SCHEMA + `INSERT INTO users (email, full_name, cognito_sub) VALUES ('person1@corp.example', 'Person 1', '${prodSub(1)}'), ('nosub@corp.example', 'Never Logged In', NULL);`);
    await query(staging, SCHEMA);
    const run = await refresh(production, staging, await cognito(), { 'identity-unmatched': 'fail' });
    expect(run.exitCode, run.log).toBe(0);
    expect(await subjects(staging)).toEqual({ 'Person 1': poolSub(1), 'Never Logged In': null });
  });
});

describe('identity remap failures leave staging as it was', () => {
  it('ListUsers answering ResourceNotFoundException: the run fails before anything is written, saying what to check', async () => {
    const { production, staging } = await newPair();
    const before = await stagingState(staging);
    const run = await refresh(production, staging, await cognito({ pools: {} }));
    expect(run.exitCode, run.log).toBe(1);
    expect(run.visibleLog).toContain(
      "could not list staging's Cognito user pool `us-east-1_StAgInG42`: ListUsers failed with ResourceNotFoundException (HTTP 400): User pool us-east-1_StAgInG42 does not exist.",
    );
    expect(run.visibleLog).toContain('Check `cognito-user-pool-id`: the pool is looked up in us-east-1');
    expect(run.summary).toContain('staging is unchanged (nothing was written)');
    expect(await stagingState(staging)).toEqual(before);
  });

  it('in full mode, a pool that cannot be listed stops the run at the inspection, before any image is copied', async () => {
    const { production, staging } = await newPair();
    const [sourceBucket, targetBucket] = await Promise.all([
      newBucket('id-prod-images', [{ key: 'books/1/cover.jpg', body: 'a cover', contentType: 'image/jpeg' }]),
      newBucket('id-stage-images'),
    ]);
    const before = await stagingState(staging);
    const fake = await cognito({ pools: {} });
    const inputs = { mode: 'full', 'source-bucket': sourceBucket, 'target-bucket': targetBucket, 's3-endpoint': s3Endpoint() };
    const run = await refresh(production, staging, fake, inputs, S3_ENV);
    expect(run.exitCode, run.log).toBe(1);
    expect(run.visibleLog).toContain("could not list staging's Cognito user pool `us-east-1_StAgInG42`: ListUsers failed with ResourceNotFoundException");
    expect(run.summary).toMatch(/failed at step “Inspect databases/);
    expect(await bucketSnapshot(targetBucket)).toEqual({});
    expect(await stagingState(staging)).toEqual(before);

    // A dry run with a pool that can be listed says what the remap will do, and writes nothing.
    const dry = await refresh(production, staging, await cognito(), { ...inputs, 'dry-run': 'true' }, S3_ENV);
    expect(dry.exitCode, dry.log).toBe(0);
    expect(dry.summary).toContain(
      "Identity remap: staging's Cognito pool `us-east-1_StAgInG42` can be listed with ",
    );
    expect(dry.summary).toContain('re-points `public.users.cognito_sub` at the pool user with the same `email` after the load (`identity-unmatched: null`)');
    expect(await bucketSnapshot(targetBucket)).toEqual({});
    expect(await stagingState(staging)).toEqual(before);
  });

  it('ListUsers failing with 500 on a later page (after the SDK\'s retries): nothing is written', async () => {
    const { production, staging } = await newPair();
    const before = await stagingState(staging);
    const fake = await cognito({ failure: { status: 500, type: 'InternalErrorException', message: 'Internal error', fromPage: 3 } });
    const run = await refresh(production, staging, fake);
    expect(run.exitCode, run.log).toBe(1);
    expect(run.visibleLog).toContain("could not list staging's Cognito user pool `us-east-1_StAgInG42` after 2 page(s): ListUsers failed with InternalErrorException (HTTP 500)");
    expect(fake.calls.filter((c) => c.status === 500).length).toBeGreaterThan(1); // retried, then given up
    expect(await stagingState(staging)).toEqual(before);
  });

  it('staging\'s role is the one that lists the pool; production\'s is refused by the pool', async () => {
    const { production, staging } = await newPair();
    const STAGING_ROLE = 'arn:aws:iam::222222222222:role/staging-refresh-writer';
    const PROD_ROLE = 'arn:aws:iam::111111111111:role/staging-refresh-reader';
    const aws = await startFakeAws({
      roles: [
        { arn: PROD_ROLE, account: '111111111111', trustedSub: '*' },
        { arn: STAGING_ROLE, account: '222222222222', trustedSub: '*' },
      ],
    });
    fakes.push(aws);
    const fake = await cognito({ callerOf: aws.callerOf, allowedCallers: [STAGING_ROLE] });
    const env = { ...aws.env, ...fake.env };
    const run = await refresh(production, staging, { env }, { 'source-role-arn': PROD_ROLE, 'target-role-arn': STAGING_ROLE }, {});
    expect(run.exitCode, run.log).toBe(0);
    expect(new Set(fake.calls.map((c) => c.caller))).toEqual(new Set([STAGING_ROLE]));
    expect((await subjects(staging))['Person 1']).toBe(poolSub(1));

    // The same run with production's role for staging: refused by the pool, with the permission to grant.
    const before = await stagingState(staging);
    const refused = await refresh(production, staging, { env }, { 'source-role-arn': STAGING_ROLE, 'target-role-arn': PROD_ROLE }, {});
    expect(refused.exitCode, refused.log).toBe(1);
    expect(refused.visibleLog).toContain('ListUsers failed with AccessDeniedException');
    expect(refused.visibleLog).toContain("need `cognito-idp:ListUsers` on arn:aws:cognito-idp:us-east-1:<staging's account>:userpool/us-east-1_StAgInG42");
    expect(await stagingState(staging)).toEqual(before);
  });

  it('masking the identity e-mail column is refused before anything changes (a masked address matches no pool user)', async () => {
    const { production, staging } = await newPair();
    const before = await stagingState(staging);
    const fake = await cognito();
    const run = await refresh(production, staging, fake, { masking: 'users.email: email\nusers.full_name: name' });
    expect(run.exitCode, run.log).toBe(1);
    expect(run.visibleLog).toContain('`masking` rewrites `public.users.email` (`users.email: email`), the column users are matched on with staging\'s Cognito pool');
    expect(run.summary).toContain('staging is unchanged (nothing was touched)');
    expect(fake.calls).toEqual([]);
    expect(await stagingState(staging)).toEqual(before);
  });

  it('`identity-unmatched: null` on a NOT NULL subject column rolls back and says what to choose; a varchar subject column takes the sub', async () => {
    const schema = `CREATE TABLE users (id serial PRIMARY KEY, email varchar(200) NOT NULL, full_name text NOT NULL, cognito_sub varchar(64) NOT NULL);`;
    const [production, staging] = await Promise.all([newDatabase('id_prod'), newDatabase('id_staging')]);
    await query(production, schema + `INSERT INTO users (email, full_name, cognito_sub) VALUES ('person1@corp.example', 'Person 1', 'p-1'), ('person8@corp.example', 'Person 8', 'p-8');`);
    await query(staging, schema);
    const before = await stagingState(staging);
    const run = await refresh(production, staging, await cognito());
    expect(run.exitCode, run.log).toBe(1);
    expect(run.visibleLog).toContain('1 row of `public.users` has no user in staging\'s Cognito pool, and `identity-unmatched: null` cannot clear its subject: `cognito_sub` is NOT NULL in staging.');
    expect(await stagingState(staging)).toEqual(before);

    const kept = await refresh(production, staging, await cognito(), { 'identity-unmatched': 'keep' });
    expect(kept.exitCode, kept.log).toBe(0);
    expect(await subjects(staging)).toEqual({ 'Person 1': poolSub(1), 'Person 8': 'p-8' });
  });

  it('a subject column staging does not have fails before the pool is listed or anything is written', async () => {
    const { production, staging } = await newPair();
    const before = await stagingState(staging);
    const fake = await cognito();
    const run = await refresh(production, staging, fake, { 'identity-subject-column': 'auth_sub' });
    expect(run.exitCode, run.log).toBe(1);
    expect(run.visibleLog).toContain("`identity-subject-column` `auth_sub`: staging's `public.users` has no such column.");
    expect(fake.calls).toEqual([]);
    expect(await stagingState(staging)).toEqual(before);
  });
});
