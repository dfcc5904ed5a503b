import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCatalogue } from '../harness/fixtures.js';
import { startFakeAws, type FakeAws, type FunctionAnswer } from '../harness/fake-aws.js';
import { runAction } from '../harness/run-action.js';
import { databaseSnapshot, newDatabase, query } from '../harness/servers.js';

const STAGING_ACCOUNT = '222222222222';
const STAGING_ROLE = `arn:aws:iam::${STAGING_ACCOUNT}:role/staging-refresh`;
const SUB = 'repo:acme/bookshelf:environment:staging';
const FUNCTION = 'staging-db-sync';

let sourceDb: string;
let targetDb: string;
let fake: FakeAws;
/** What the fake function does on its next invocation. */
let behaviour: (payload: unknown) => Promise<FunctionAnswer> | FunctionAnswer;

/**
 * A stand-in for the original function: copies every table of production into staging (the
 * test database server is reachable from here, as the function's would be from its network)
 * and answers in the original's shape.
 */
async function copyLikeTheOriginal(): Promise<FunctionAnswer> {
  const tables = ['authors', 'books', 'images'];
  await query(targetDb, `TRUNCATE ${tables.join(', ')} CASCADE`);
  const synced: { table: string; rows: number }[] = [];
  for (const table of tables) {
    const rows = await query<{ data: unknown }>(sourceDb, `SELECT coalesce(json_agg(t), '[]') AS data FROM ${table} t`);
    await query(targetDb, `INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1)`, [JSON.stringify(rows[0]!.data)]);
    synced.push({ table, rows: (rows[0]!.data as unknown[]).length });
  }
  const total = synced.reduce((sum, t) => sum + t.rows, 0);
  return {
    payload: {
      statusCode: 200,
      body: JSON.stringify({
        message: 'Database sync completed',
        results: {
          tables_synced: synced,
          tables_failed: [],
          total_rows: total,
          validation: { passed: true, issues: [] },
          sequences_fixed: ['authors_id_seq', 'books_id_seq', 'images_id_seq'],
        },
      }),
    },
    log: `START RequestId: 1\nSyncing 3 tables\nDone: ${total} rows\nEND RequestId: 1\nREPORT RequestId: 1 Duration: 812.3 ms`,
  };
}

beforeAll(async () => {
  [sourceDb, targetDb] = await Promise.all([newDatabase('fn_prod'), newDatabase('fn_staging')]);
  await Promise.all([seedCatalogue(sourceDb, { books: 208 }), seedCatalogue(targetDb, { books: 163, titlePrefix: 'Old ' })]);
  fake = await startFakeAws({
    roles: [{ arn: STAGING_ROLE, account: STAGING_ACCOUNT, trustedSub: SUB }],
    oidcSub: SUB,
    functions: { [FUNCTION]: { invokers: [STAGING_ROLE], handler: (payload) => behaviour(payload) } },
  });
});
afterAll(() => fake.close());

const inputs = (extra: Record<string, string> = {}) => ({
  mode: 'db-only',
  confirm: 'staging',
  'db-method': 'lambda',
  'db-sync-function': FUNCTION,
  'db-sync-payload': '{"source": "production", "tables": "all"}',
  'target-role-arn': STAGING_ROLE,
  ...extra,
});
const invocations = () => fake.calls.filter((c) => c.service === 'lambda');

describe('db-method: lambda', () => {
  it('invokes the function with staging\'s role and reports its tables and rows', async () => {
    behaviour = copyLikeTheOriginal;
    const before = invocations().length;
    const result = await runAction(inputs(), { env: fake.env });
    expect(result.exitCode, result.log).toBe(0);
    // The rows really are in staging now.
    expect(await query(targetDb, `SELECT count(*)::int AS n FROM books WHERE title LIKE 'Old %'`)).toEqual([{ n: 0 }]);
    expect(await query(targetDb, 'SELECT count(*)::int AS n FROM books')).toEqual([{ n: 208 }]);

    const call = invocations().slice(before);
    expect(call).toHaveLength(1);
    expect(call[0]).toMatchObject({ caller: STAGING_ROLE, status: 200, params: { InvocationType: 'RequestResponse', LogType: 'Tail' } });
    // The original function's fields, with the protocol's event merged in (a function of the original shape ignores it).
    expect(JSON.parse(call[0]!.params.Payload!)).toMatchObject({ source: 'production', tables: 'all', protocol: 'prod-to-staging-sync/database', action: 'refresh', confirm: 'staging' });

    expect(result.outputs.status).toBe('synced');
    expect(result.outputs['tables-copied']).toBe('3');
    expect(result.outputs['rows-copied']).toBe(String(12 + 208 + 416));
    expect(result.outputs['books-source']).toBe('208');
    expect(result.summary).toContain(`3 tables, 636 rows copied by \`${FUNCTION}\`, 3 sequences reset, validation passed`);
    expect(result.summary).toContain(`through \`${FUNCTION}\``);
  });

  it('a failed table or a failed validation fails the run, listing them, with the partial figures reported', async () => {
    behaviour = () => ({
      payload: {
        statusCode: 200,
        body: JSON.stringify({
          results: {
            tables_synced: [{ table: 'authors', rows: 12 }, { table: 'books', rows: 208 }],
            tables_failed: [{ table: 'images', error: 'insert or update on table "images" violates foreign key constraint' }],
            total_rows: 220,
            validation: { passed: false, issues: ['images: 0 rows in staging, 416 in production'] },
            sequences_fixed: [],
          },
        }),
      },
      log: 'Syncing images\nERROR images: violates foreign key constraint',
    });
    const result = await runAction(inputs(), { env: fake.env });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.outputs['tables-copied']).toBe('2');
    expect(result.outputs['rows-copied']).toBe('220');
    expect(result.log).toContain('2 tables, 220 rows copied by `staging-db-sync`, but 2 problems');
    expect(result.log).toContain('table `images` failed: insert or update on table "images" violates foreign key constraint');
    expect(result.log).toContain('validation failed: images: 0 rows in staging, 416 in production');
    expect(result.summary).toContain('partly refreshed: 2 tables were copied, 1 failed');
  });

  it('a function error fails the run with the error and the end of the function\'s log', async () => {
    behaviour = () => ({
      functionError: 'Unhandled',
      payload: { errorType: 'OperationalError', errorMessage: 'could not connect to server: Connection timed out', stackTrace: ['  File "handler.py", line 40'] },
      log: Array.from({ length: 40 }, (_, i) => `log line ${i + 1}`).join('\n'),
    });
    const result = await runAction(inputs(), { env: fake.env });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`staging-db-sync` failed (Unhandled): OperationalError: could not connect to server: Connection timed out');
    expect(result.log).toContain("Last lines of the function's log:");
    expect(result.log).toContain('log line 40');
    expect(result.log).not.toContain('log line 20%0A');
    expect(result.summary).toContain('unknown state');
    expect(result.outputs['tables-copied']).toBe('');
  });

  it('a statusCode other than 200 in the body fails the run', async () => {
    behaviour = () => ({ payload: { statusCode: 500, body: JSON.stringify({ error: 'DB_HOST is not set' }) }, log: 'config error' });
    const result = await runAction(inputs(), { env: fake.env });
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('`staging-db-sync` answered statusCode 500: DB_HOST is not set');
    expect(result.log).toContain('config error');
  });

  it('dry run with `db-sync-payload` (a function of the original shape): invokes nothing and says what it would invoke', async () => {
    const before = invocations().length;
    const snapshot = await databaseSnapshot(targetDb);
    const result = await runAction(inputs({ 'dry-run': 'true', confirm: '' }), { env: fake.env });
    expect(result.exitCode, result.log).toBe(0);
    expect(invocations().length).toBe(before);
    expect(result.outputs.status).toBe('dry-run');
    expect(result.summary).toContain(
      `would invoke \`${FUNCTION}\` synchronously with staging's credentials (role \`staging-refresh\` (account ${STAGING_ACCOUNT})) and payload {"source":"production","tables":"all"}; not invoked (dry run: \`db-sync-payload\` marks a function of the original shape`,
    );
    expect(await databaseSnapshot(targetDb)).toEqual(snapshot);
  });

  it('needs db-sync-function, and refuses a function without db-method lambda', async () => {
    const missing = await runAction(inputs({ 'db-sync-function': '' }), { env: fake.env });
    expect(missing.exitCode).toBe(1);
    expect(missing.log).toContain('`db-sync-function` is required when `db-method` is `lambda`');
    const stray = await runAction(inputs({ 'db-method': 'copy' }), { env: fake.env });
    expect(stray.exitCode).toBe(1);
    expect(stray.log).toContain('`db-sync-function` is set but `db-method` is `copy`');
  });

  it.each(['no-answer', 'mid-body'] as const)('a function that accepts the invoke and stalls (%s) fails the run within `db-sync-timeout`, saying what to do', async (mode) => {
    fake.hang.lambda = mode;
    try {
      const started = Date.now();
      const result = await runAction(inputs({ 'db-sync-timeout': '2s' }), { env: fake.env, timeoutMs: 60_000 });
      const seconds = (Date.now() - started) / 1000;
      expect(result.exitCode, result.log).toBe(1);
      expect(seconds).toBeLessThan(20);
      expect(result.outputs.status).toBe('failed');
      expect(result.log).toContain(`\`${FUNCTION}\` did not answer within 2 s (\`db-sync-timeout\`)`);
      expect(result.log).toContain("The function may still be running: check its log before retrying");
      expect(result.summary).toContain('unknown state');
    } finally {
      delete fake.hang.lambda;
    }
  });

  it("row values in the function's errors never reach the log, the summary or the outputs", async () => {
    const values = ['alice@example.com', '078-05-1120', 'bob@example.com', 'carol@example.com'];
    behaviour = () => ({
      payload: {
        statusCode: 200,
        body: JSON.stringify({
          results: {
            tables_synced: [{ table: 'authors', rows: 12 }],
            tables_failed: [
              { table: 'users', error: 'duplicate key value violates unique constraint "users_email_key"\nDETAIL:  Key (email)=(bob@example.com) already exists.' },
              { table: 'orders', error: 'null value in column "total" violates not-null constraint\nDETAIL:  Failing row contains (9, carol@example.com, null).' },
            ],
            total_rows: 12,
            validation: { passed: false, issues: ['users: COPY users, line 2, column ssn: "078-05-1120"'] },
          },
        }),
      },
      log: 'new row for relation "users" violates check constraint "ssn_format"\nDETAIL:  Failing row contains (1, alice@example.com, 078-05-1120).',
    });
    const failed = await runAction(inputs(), { env: fake.env });
    behaviour = () => ({
      functionError: 'Unhandled',
      payload: { errorType: 'CheckViolation', errorMessage: 'new row for relation "users" violates check constraint "ssn_format"\nDETAIL:  Failing row contains (1, alice@example.com, 078-05-1120).' },
      log: 'Traceback (most recent call last):\npsycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "users_email_key"\nDETAIL:  Key (email)=(bob@example.com) already exists.',
    });
    const crashed = await runAction(inputs(), { env: fake.env });
    for (const result of [failed, crashed]) {
      expect(result.exitCode).toBe(1);
      for (const value of values) {
        expect(result.log).not.toContain(value);
        expect(result.summary).not.toContain(value);
        expect(JSON.stringify(result.outputs)).not.toContain(value);
      }
      expect(result.log).toContain('(…)');
    }
    // The names that say what to fix stay.
    expect(failed.log).toContain('table `users` failed: duplicate key value violates unique constraint "users_email_key"');
    expect(failed.log).toContain('Key (email)=(…) already exists.');
    expect(crashed.log).toContain('CheckViolation: new row for relation "users" violates check constraint "ssn_format"');
    expect(crashed.log).toContain('Failing row contains (…).');
  });

  describe('count-table not among the tables the function refreshed', () => {
    const onlyAuthors = (): FunctionAnswer => ({
      payload: {
        statusCode: 200,
        body: JSON.stringify({ results: { tables_synced: [{ table: 'authors', rows: 12 }], tables_failed: [], total_rows: 12, validation: { passed: true, issues: [] } } }),
      },
    });

    it('without database URLs: no after figure is claimed for it, and the summary says it was not refreshed', async () => {
      behaviour = onlyAuthors;
      const result = await runAction(inputs({ 'db-sync-payload': '{"tables": ["authors"]}' }), { env: fake.env });
      expect(result.exitCode, result.log).toBe(0);
      expect(result.outputs.status).toBe('synced');
      expect(result.outputs['books-target-after']).toBe('');
      expect(result.outputs['books-source']).toBe('');
      expect(result.summary).toContain(`\`public.books\` (\`count-table\`) was not among the tables \`${FUNCTION}\` refreshed`);
    });

    it("with database URLs: the run succeeds and reports staging's real, untouched count", async () => {
      const [prod, staging] = await Promise.all([newDatabase('fn_ct_prod'), newDatabase('fn_ct_staging')]);
      await Promise.all([seedCatalogue(prod, { books: 208 }), seedCatalogue(staging, { books: 163, titlePrefix: 'Old ' })]);
      behaviour = onlyAuthors;
      const result = await runAction(
        inputs({ 'db-sync-payload': '{"tables": ["authors"]}', 'source-database-url': prod, 'target-database-url': staging }),
        { env: fake.env },
      );
      expect(result.exitCode, result.log).toBe(0);
      expect(result.outputs.status).toBe('synced');
      expect(result.outputs['books-target-before']).toBe('163');
      expect(result.outputs['books-target-after']).toBe('163');
      expect(result.summary).toContain(`\`public.books\` (\`count-table\`) was not among the tables \`${FUNCTION}\` refreshed`);
      expect(result.summary).not.toContain('partly refreshed');
      expect(await query(staging, 'SELECT count(*)::int AS n FROM books')).toEqual([{ n: 163 }]);
    });
  });
});
