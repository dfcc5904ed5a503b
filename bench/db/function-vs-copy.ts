/**
 * The same data through `db-method: copy` (the action connects to both databases) and through
 * `db-method: lambda` (the built function bundle in a child process behind the local fake Lambda,
 * which is how it runs in the tests), in one run on one embedded PostgreSQL server, alternating.
 * Both bundles must be built first (`npm run build`, or P2S_ACTION_ENTRY / P2S_FUNCTION_ENTRY).
 *
 *   node --import tsx bench/db/function-vs-copy.ts            # ~1 M rows
 *   BENCH_ROWS=200000 node --import tsx bench/db/function-vs-copy.ts
 */
import pg from 'pg';
import { startFakeAws } from '../../test/harness/fake-aws.js';
import { FUNCTION_ENTRY, type BundleFunction } from '../../test/harness/fake-lambda.js';
import { startPostgres } from '../../test/harness/postgres.js';
import { runAction, type ActionRun } from '../../test/harness/run-action.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 2);

const SCHEMA = `
  CREATE TABLE books (id serial PRIMARY KEY, title text NOT NULL, price numeric(10,2), tags text[] NOT NULL DEFAULT '{}', details jsonb, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE reviews (id serial PRIMARY KEY, book_id integer NOT NULL REFERENCES books(id), rating integer, body text);
  CREATE INDEX reviews_book ON reviews (book_id);`;

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function secretFor(url: string): string {
  const u = new URL(url);
  return JSON.stringify({ username: decodeURIComponent(u.username), password: decodeURIComponent(u.password), host: u.hostname, port: Number(u.port), dbname: u.pathname.slice(1) });
}

/** Data, time and rate from the Database section of the summary. */
function figures(result: ActionRun): { mb: number; seconds: number } {
  if (result.exitCode !== 0) throw new Error(`the run failed:\n${result.log}`);
  const data = /\*\*Data:\*\* ([\d.]+) (KB|MB|GB)/.exec(result.summary)!;
  const time = /\*\*Time:\*\* ([\d.]+) s/.exec(result.summary)!;
  const mb = Number(data[1]) * ({ KB: 1 / 1024, MB: 1, GB: 1024 } as Record<string, number>)[data[2]!]!;
  return { mb, seconds: Number(time[1]) };
}

async function main(): Promise<void> {
  const server = await startPostgres();
  const fn: BundleFunction = { entry: FUNCTION_ENTRY, timeoutMs: 900_000, env: {} };
  const secrets: Record<string, { value: string; readers: string[] }> = {};
  const aws = await startFakeAws({ roles: [], secrets, functions: { 'db-sync': { invokers: ['default'], bundle: fn } } });
  try {
    const production = await server.createDatabase('bench_fn_production');
    await sql(production, SCHEMA);
    await sql(production, `INSERT INTO books (title, price, tags, details) SELECT 'Book ' || g, g % 1000 / 10.0, ARRAY['a', 'b' || g % 7], jsonb_build_object('pages', g % 900, 'isbn', md5(g::text)) FROM generate_series(1, ${Math.round(ROWS / 4)}) g`);
    await sql(production, `INSERT INTO reviews (book_id, rating, body) SELECT 1 + g % ${Math.round(ROWS / 4)}, g % 5 + 1, repeat('Good read. ', 1 + g % 8) FROM generate_series(1, ${ROWS}) g`);
    console.log(`production: ${ROWS + Math.round(ROWS / 4)} rows. Same data through copy and through the function, ${REPEAT} time(s) each, alternating.`);
    const env = { AWS_ACCESS_KEY_ID: 'AKIABENCH', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1', NODE_NO_WARNINGS: '1' };
    for (let i = 0; i < REPEAT; i++) {
      for (const method of ['copy', 'lambda'] as const) {
        const staging = await server.createDatabase(`bench_fn_staging_${method}_${i}`);
        await sql(staging, SCHEMA);
        let result: ActionRun;
        if (method === 'copy') {
          result = await runAction({ mode: 'db-only', confirm: 'staging', 'source-database-url': production, 'target-database-url': staging }, { env, timeoutMs: 900_000 });
        } else {
          secrets.source = { value: secretFor(production), readers: ['default'] };
          secrets.target = { value: secretFor(staging), readers: ['default'] };
          fn.env = { SOURCE_SECRET_ARN: 'source', TARGET_SECRET_ARN: 'target', TARGET_NAME: 'staging', DB_SSLMODE: 'prefer', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFN', AWS_SECRET_ACCESS_KEY: 'fn', AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.env.AWS_ENDPOINT_URL_SECRETS_MANAGER! };
          result = await runAction({ mode: 'db-only', confirm: 'staging', 'db-method': 'lambda', 'db-sync-function': 'db-sync' }, { env: { ...env, AWS_ENDPOINT_URL_LAMBDA: aws.env.AWS_ENDPOINT_URL_LAMBDA! }, timeoutMs: 900_000 });
        }
        const { mb, seconds } = figures(result);
        console.log(`${method.padEnd(6)} run ${i + 1}: ${mb.toFixed(1)} MB in ${seconds.toFixed(1)} s = ${(mb / seconds).toFixed(1)} MB/s`);
      }
    }
  } finally {
    await aws.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
