/**
 * `db-method: lambda` with this action's own function: the BUILT dist/function/index.js runs in a
 * child process per call behind a fake Lambda speaking Invoke and InvokeWithResponseStream,
 * reading its connections from a fake Secrets Manager, against real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newStaging, seedProduction, SHARED_TABLES, sharedColumns, stagingState, tableHash } from '../harness/db-fixtures.js';
import { startFakeAws, type FakeAws, type FakeFunction } from '../harness/fake-aws.js';
import { FUNCTION_ENTRY, runBundle, type BundleFunction, type BundleRun } from '../harness/fake-lambda.js';
import { runAction, type ActionRun } from '../harness/run-action.js';
import { newDatabase, query } from '../harness/servers.js';
import { startTlsPostgres } from '../harness/tls-postgres.js';

const STAGING_ACCOUNT = '222222222222';
const STAGING_ROLE = `arn:aws:iam::${STAGING_ACCOUNT}:role/staging-refresh`;
const SUB = 'repo:acme/bookshelf:environment:staging';
const FUNCTION = 'p2s-db-sync';
const OLD_FUNCTION = 'original-db-sync';

let production: string;
let bigProduction: string;
let fake: FakeAws;
const secrets: Record<string, { value: string; readers: string[] }> = {};
const bundle: BundleFunction = { entry: FUNCTION_ENTRY, env: {}, timeoutMs: 60_000 };
const fn: FakeFunction = { invokers: [STAGING_ROLE], bundle };

/** An RDS-style secret for a database of the test server. */
function secretFor(url: string): string {
  const u = new URL(url);
  return JSON.stringify({ username: decodeURIComponent(u.username), password: decodeURIComponent(u.password), host: u.hostname, port: Number(u.port), dbname: u.pathname.slice(1), engine: 'postgres' });
}

/** Points the function at `source` → `staging` (what its deployer sets in its environment). */
function configure(source: string, staging: string, extra: Record<string, string> = {}): void {
  secrets.source = { value: secretFor(source), readers: ['default'] };
  secrets.target = { value: secretFor(staging), readers: ['default'] };
  bundle.env = {
    SOURCE_SECRET_ARN: 'source',
    TARGET_SECRET_ARN: 'target',
    TARGET_NAME: 'staging',
    DB_SSLMODE: 'disable',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAFUNCTIONROLE',
    AWS_SECRET_ACCESS_KEY: 'function-role-secret',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.env.AWS_ENDPOINT_URL_SECRETS_MANAGER!,
    ...extra,
  };
  bundle.killWhen = undefined;
  bundle.timeoutMs = 60_000;
}

beforeAll(async () => {
  [production, bigProduction] = await Promise.all([newDatabase('fnprod'), newDatabase('fnbig')]);
  await Promise.all([seedProduction(production), seedProduction(bigProduction)]);
  // Enough data that loading it takes a few seconds: progress lines come while it loads.
  await query(bigProduction, `INSERT INTO reviews (book_id, rating, body) SELECT 1 + g % 290, g % 5 + 1, repeat('A long and thoughtful review. ', 12) FROM generate_series(1, 400000) g`);
  fake = await startFakeAws({
    roles: [{ arn: STAGING_ROLE, account: STAGING_ACCOUNT, trustedSub: SUB }],
    oidcSub: SUB,
    secrets,
    functions: {
      [FUNCTION]: fn,
      [OLD_FUNCTION]: {
        invokers: [STAGING_ROLE],
        handler: () => ({ payload: { statusCode: 200, body: JSON.stringify({ results: { tables_synced: [{ table: 'books', rows: 290 }], tables_failed: [], total_rows: 290 } }) } }),
      },
    },
  });
}, 120_000);
afterAll(() => fake?.close());

const inputs = (extra: Record<string, string> = {}) => ({
  mode: 'db-only',
  confirm: 'staging',
  'db-method': 'lambda',
  'db-sync-function': FUNCTION,
  'target-role-arn': STAGING_ROLE,
  ...extra,
});
const lambdaCalls = () => fake.calls.filter((c) => c.service === 'lambda');

/** The per-table rows of the summary's Database section, without the time column (it differs run to run). */
function tableRows(result: ActionRun): string[] {
  return result.summary
    .split('\n')
    .filter((line) => line.startsWith('| `public.'))
    .map((line) => line.split('|').filter((_, i) => i !== 5).join('|'));
}

describe('db-method lambda with this action\'s function', () => {
  it('dry run: the function inspects read-only and the summary shows the per-table plan', async () => {
    const staging = await newStaging();
    configure(production, staging);
    const before = await stagingState(staging);
    const calls = lambdaCalls().length;
    const result = await runAction(inputs({ 'dry-run': 'true', confirm: '' }), { env: fake.env });
    expect(result.exitCode, result.log).toBe(0);
    const call = lambdaCalls().slice(calls);
    expect(call.map((c) => c.action)).toEqual(['InvokeWithResponseStream']);
    expect(JSON.parse(call[0]!.params.Payload!)).toMatchObject({ protocol: 'prod-to-staging-sync/database', version: 1, action: 'inspect', target: 'staging' });
    // The same table as copy's dry run: production's and staging's rows per table.
    expect(result.summary).toContain('| table | production rows | staging rows now | what would happen | column differences |');
    expect(result.summary).toMatch(/\| `public\.books` \| 290 \| 120 \| [^|]*replaced[^|]*\|/);
    expect(result.outputs['books-source']).toBe('290');
    expect(await stagingState(staging)).toEqual(before);
  });

  it('refresh: the same per-table summary and data as db-method copy', async () => {
    const [byCopy, byFunction] = await Promise.all([newStaging(), newStaging()]);
    const copy = await runAction({ mode: 'db-only', confirm: 'staging', 'source-database-url': production, 'target-database-url': byCopy });
    expect(copy.exitCode, copy.log).toBe(0);
    configure(production, byFunction);
    const result = await runAction(inputs(), { env: fake.env });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs['tables-copied']).toBe('4');
    expect(result.outputs['rows-copied']).toBe('1400');
    expect(result.outputs['books-target-after']).toBe('290');
    expect(tableRows(result).length).toBeGreaterThan(4);
    expect(tableRows(result)).toEqual(tableRows(copy));
    expect(result.summary).toContain('Foreign keys: triggers off for the load');
    for (const table of SHARED_TABLES) {
      const columns = await sharedColumns(production, byFunction, table);
      expect(await tableHash(byFunction, table, columns), table).toBe(await tableHash(production, table, columns));
    }
  });

  it('masks through the function: staging never receives production\'s values of a masked column', async () => {
    const staging = await newStaging();
    configure(production, staging);
    const result = await runAction(inputs({ masking: 'authors.name: name', 'masking-salt': 'function-salt-1' }), { env: fake.env });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.visibleLog).not.toContain('function-salt-1');
    expect(result.log).toContain('"salt":"***"');
    expect(result.summary).toContain('- `public.authors`: `name`: name');
    const names = (url: string) => query<{ name: string }>(url, 'SELECT name FROM authors ORDER BY id').then((rows) => rows.map((r) => r.name));
    const [before, after] = await Promise.all([names(production), names(staging)]);
    expect(after).toHaveLength(before.length);
    expect(after.filter((name) => before.includes(name))).toEqual([]);
  });

  it('a staging CHECK constraint fails the load: staging unchanged, the action fails naming the table', async () => {
    const staging = await newStaging({ priceCheck: true });
    configure(production, staging);
    const before = await stagingState(staging);
    const result = await runAction(inputs(), { env: fake.env });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('copying `public.books` failed');
    expect(result.summary).toContain('unchanged (the transaction was rolled back)');
    expect(await stagingState(staging)).toEqual(before);
  });

  it('streams progress lines into the action\'s log while it loads, then the result', async () => {
    const staging = await newStaging();
    configure(bigProduction, staging, { DB_PROGRESS_SECONDS: '0.2', DB_ASSUMED_MB_PER_SECOND: '500' });
    const result = await runAction(inputs(), { env: fake.env });
    expect(result.exitCode, result.log).toBe(0);
    const times = [...result.log.matchAll(/\[p2s-db-sync \+(\d+\.\d) s\]\s+public\.reviews: [\d,]+ rows, .* so far/g)].map((m) => Number(m[1]));
    // Lines stamped on arrival at different moments: they came while the function worked, not with its answer.
    expect(times.length, result.log).toBeGreaterThanOrEqual(2);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(0.3);
    expect(result.log.indexOf('so far')).toBeLessThan(result.log.indexOf('copied by `p2s-db-sync`'));
    expect(result.outputs['rows-copied']).toBe(String(1400 + 400_000));
  });

  it('killed by its time limit mid-load: staging unchanged', async () => {
    const staging = await newStaging();
    configure(bigProduction, staging, { DB_PROGRESS_SECONDS: '0.2', DB_ASSUMED_MB_PER_SECOND: '500' });
    // The limit reached while `reviews` is loading (its first progress line).
    bundle.killWhen = (line) => /public\.reviews: .* so far/.test(line);
    const before = await stagingState(staging);
    const result = await runAction(inputs(), { env: fake.env });
    expect(result.exitCode).toBe(1);
    expect(result.log).toMatch(/public\.reviews: .* so far/);
    expect(result.log).toContain('`p2s-db-sync` failed (Sandbox.Timedout)');
    expect(result.summary).toContain('its refresh is one transaction');
    // The killed process never committed: the server rolled its transaction back.
    await expect.poll(async () => (await query(staging, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"))[0]!.n).toBe(0);
    expect(await stagingState(staging)).toEqual(before);
  });

  it('falls back to a plain Invoke where the endpoint refuses streaming', async () => {
    const staging = await newStaging();
    configure(production, staging);
    const other = await startFakeAws({ roles: [{ arn: STAGING_ROLE, account: STAGING_ACCOUNT, trustedSub: SUB }], oidcSub: SUB, secrets, functions: { [FUNCTION]: fn }, noResponseStreaming: true });
    try {
      bundle.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = other.env.AWS_ENDPOINT_URL_SECRETS_MANAGER!;
      const result = await runAction(inputs(), { env: other.env });
      expect(result.exitCode, result.log).toBe(0);
      expect(other.calls.filter((c) => c.service === 'lambda').map((c) => `${c.action} ${c.status}`)).toEqual(['InvokeWithResponseStream 404', 'Invoke 200']);
      expect(result.outputs['rows-copied']).toBe('1400');
    } finally {
      await other.close();
    }
  });

  it('an answer in the original shape fails clearly when masking rules were given', async () => {
    const result = await runAction(inputs({ 'db-sync-function': OLD_FUNCTION, masking: 'books.title: text' }), { env: fake.env });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain("`masking` was given, but `original-db-sync` answered in the original function's shape");
    expect(result.summary).toContain('refreshed WITHOUT masking');
  });
});

/** The answer of a direct run: the `result` line the function streamed. */
function answerOf(run: BundleRun): Record<string, unknown> {
  const lines = run.chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return lines.find((l) => l.type === 'result') ?? {};
}

describe('the function refuses on its own (the bundle invoked directly)', () => {
  const refreshEvent = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ protocol: 'prod-to-staging-sync/database', version: 1, action: 'refresh', target: 'staging', options: { schemas: ['public'], lockTimeoutMs: 5000 }, ...extra });

  it('a refresh without confirmation, or for another target', async () => {
    const staging = await newStaging();
    configure(production, staging);
    const before = await stagingState(staging);
    const unconfirmed = await runBundle(bundle, refreshEvent());
    expect(answerOf(unconfirmed)).toMatchObject({ ok: false, message: expect.stringContaining('a refresh needs `confirm` equal to `staging`') });
    const other = await runBundle(bundle, refreshEvent({ target: 'production', confirm: 'production' }));
    expect(answerOf(other)).toMatchObject({ ok: false, message: expect.stringContaining('this function refreshes only `staging` (TARGET_NAME)') });
    expect(await stagingState(staging)).toEqual(before);
  });

  it('both secrets reaching the same database', async () => {
    configure(production, production);
    const run = await runBundle(bundle, refreshEvent({ confirm: 'staging' }));
    expect(answerOf(run)).toMatchObject({ ok: false, message: expect.stringContaining('reach the same database') });
  });

  it('never answers with a value of its secrets (the action prints its messages and cannot mask them)', async () => {
    // A staging secret whose database does not exist: the connection error names the database.
    const missing = new URL(production);
    missing.pathname = '/fn_no_such_database';
    configure(production, missing.toString());
    const run = await runBundle(bundle, refreshEvent({ confirm: 'staging' }));
    const answer = answerOf(run) as { ok: boolean; message: string };
    expect(answer.ok).toBe(false);
    expect(answer.message).toMatch(/^could not connect to staging's database \(\*\*\*:\d+\/\*\*\*\): database "\*\*\*" does not exist/);
    for (const value of [missing.hostname, 'fn_no_such_database', decodeURIComponent(missing.password)]) expect(answer.message, value).not.toContain(value);
    // Nor anywhere in what it streamed (progress lines included).
    for (const value of [missing.hostname, 'fn_no_such_database', new URL(production).pathname.slice(1)]) expect(run.chunks.join(''), value).not.toContain(value);
  });

  it('data that cannot be copied in the time left: fails before loading', async () => {
    const staging = await newStaging();
    configure(bigProduction, staging, { DB_ASSUMED_MB_PER_SECOND: '0.5' });
    bundle.timeoutMs = 30_000;
    const before = await stagingState(staging);
    const run = await runBundle(bundle, refreshEvent({ confirm: 'staging' }));
    expect(answerOf(run)).toMatchObject({ ok: false, targetState: 'unchanged (the transaction was rolled back)' });
    expect((answerOf(run) as { message: string }).message).toMatch(/needs about \d+ s, and the function has (2\d|30) s left\. Nothing was changed/);
    expect(await stagingState(staging)).toEqual(before);
  });

  it('DB_CA_BUNDLE: certificates verified (verify-full refuses a certificate for another host; verify-ca accepts it)', async () => {
    const server = await startTlsPostgres({ tlsOnlyDatabases: ['fn_tls_prod', 'fn_tls_staging'] });
    try {
      for (const db of ['fn_tls_prod', 'fn_tls_staging']) await query(`${server.url()}?sslmode=no-verify`, `CREATE DATABASE ${db}`);
      const inspect = JSON.stringify({ protocol: 'prod-to-staging-sync/database', version: 1, action: 'inspect', target: 'staging', options: { schemas: ['public'] } });
      configure(server.url('fn_tls_prod'), server.url('fn_tls_staging'), { DB_SSLMODE: '', DB_CA_BUNDLE: server.certificateFile });
      // The test server's certificate is issued for db.internal, reached here as 127.0.0.1.
      const full = answerOf(await runBundle(bundle, inspect));
      expect(full).toMatchObject({ ok: false, message: expect.stringMatching(/could not connect to production's database .*(altname|host|IP)/i) });
      configure(server.url('fn_tls_prod'), server.url('fn_tls_staging'), { DB_SSLMODE: 'verify-ca', DB_CA_BUNDLE: server.certificateFile });
      expect(answerOf(await runBundle(bundle, inspect))).toMatchObject({ ok: true, action: 'inspect', description: { tables: [] } });
    } finally {
      await server.stop();
    }
  }, 120_000);
});
