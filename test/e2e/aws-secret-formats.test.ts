import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCatalogue } from '../harness/fixtures.js';
import { startFakeAws, type FakeAws } from '../harness/fake-aws.js';
import { PG_PASSWORD } from '../harness/postgres.js';
import { runAction } from '../harness/run-action.js';
import { newDatabase, query } from '../harness/servers.js';

const ROLE = 'arn:aws:iam::222222222222:role/staging-refresh';
const SUB = 'repo:acme/bookshelf:environment:staging';

let sourceDb: string;
let targetDb: string;
let fake: FakeAws;

beforeAll(async () => {
  [sourceDb, targetDb] = await Promise.all([newDatabase('secret_prod'), newDatabase('secret_staging')]);
  await Promise.all([seedCatalogue(sourceDb, { books: 31 }), seedCatalogue(targetDb, { books: 4, titlePrefix: 'Old ' })]);
  const u = new URL(targetDb);
  const s = new URL(sourceDb);
  const sourceUrl = `postgresql://${s.username}:${encodeURIComponent(PG_PASSWORD)}@${s.host}${s.pathname}?sslmode=disable`;
  fake = await startFakeAws({
    roles: [{ arn: ROLE, account: '222222222222', trustedSub: SUB }],
    oidcSub: SUB,
    secrets: {
      // A URL secret, as teams without RDS rotation often store it (password %-encoded, with sslmode).
      'prod/db-url': { value: sourceUrl, readers: [ROLE] },
      // An RDS-style JSON secret.
      'staging/db-json': {
        value: JSON.stringify({ engine: 'postgres', host: u.hostname, port: Number(u.port), username: decodeURIComponent(u.username), password: PG_PASSWORD, dbname: u.pathname.slice(1), sslmode: 'disable' }),
        readers: [ROLE],
      },
      'broken/db-url': { value: 'postgresql://app@db.internal:5432/bookshelf', readers: [ROLE] },
    },
  });
});
afterAll(() => fake.close());

describe('database secrets: URL or RDS-style JSON', () => {
  it('copies production into staging with one side\'s secret a postgresql:// URL and the other JSON; the password is masked either way', async () => {
    const result = await runAction(
      { mode: 'db-only', confirm: 'staging', 'source-database-secret-id': 'prod/db-url', 'target-database-secret-id': 'staging/db-json', 'target-role-arn': ROLE },
      { env: fake.env },
    );
    expect(result.exitCode, result.log).toBe(0);
    // Staging now has production's 31 books.
    const [row] = await query<{ n: string }>(targetDb, 'SELECT count(*) AS n FROM books');
    expect(Number(row!.n)).toBe(31);
    expect(result.outputs['books-source']).toBe('31');
    // Both secrets' passwords (raw and as %-encoded in the URL) are masked before anything prints
    // (a workflow command escapes `%` as `%25`).
    const command = (value: string) => `::add-mask::${value.replace(/%/g, '%25')}`;
    expect(result.log).toContain(command(PG_PASSWORD));
    expect(result.log).toContain(command(encodeURIComponent(PG_PASSWORD)));
    for (const text of [result.visibleLog, result.summary, JSON.stringify(result.outputs)]) {
      expect(text).not.toContain(PG_PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PG_PASSWORD));
    }
  });

  it('a URL secret without a password is refused, saying what the secret must hold', async () => {
    const result = await runAction(
      { mode: 'db-only', 'dry-run': 'true', 'source-database-secret-id': 'broken/db-url', 'target-database-secret-id': 'staging/db-json', 'target-role-arn': ROLE },
      { env: fake.env },
    );
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('holds a PostgreSQL URL without a password (postgresql://user:password@host:5432/database)');
  });
});
