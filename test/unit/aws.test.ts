import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/retry.js';
import { lastLogLines, parseFunctionResult } from '../../src/aws/function-sync.js';
import { tokenClaims } from '../../src/aws/oidc.js';
import { parseDatabaseSecret } from '../../src/aws/secrets.js';
import { cleanSessionName, defaultSessionName } from '../../src/config/aws-options.js';
import { buildConfig } from '../../src/config/config.js';

describe('role session name', () => {
  it('is derived from the repository and run id, cleaned to what STS accepts', () => {
    expect(cleanSessionName(defaultSessionName({ repository: 'acme/bookshelf', runId: '123456789012' }))).toBe('acme-bookshelf-run-123456789012');
    expect(cleanSessionName('a b/c#d')).toBe('a-b-c-d');
    expect(cleanSessionName('user@example.com+tag=1,2')).toBe('user@example.com+tag=1,2');
    expect(defaultSessionName({})).toBe('prod-to-staging-sync');
  });

  it('keeps the run id when it must shorten to 64 characters', () => {
    const name = cleanSessionName(defaultSessionName({ repository: `acme/${'x'.repeat(90)}`, runId: '123456789012' }));
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[\w+=,.@-]+$/);
    expect(name.endsWith('-run-123456789012')).toBe(true);
  });
});

describe('aws inputs', () => {
  const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';
  it('one role serves both sides', () => {
    const result = buildConfig(reader({ mode: 'images-only', 'dry-run': 'true', 'source-bucket': 'a-bucket', 'target-bucket': 'b-bucket', 'target-role-arn': 'arn:aws:iam::222222222222:role/x' }));
    expect(result.ok && result.config.aws.roles).toEqual({ source: 'arn:aws:iam::222222222222:role/x', target: 'arn:aws:iam::222222222222:role/x' });
  });

  it('a secret id stands in for a database URL; with db-method lambda neither is needed', () => {
    const secrets = buildConfig(reader({ mode: 'db-only', 'dry-run': 'true', 'source-database-secret-id': 'prod/db', 'target-database-secret-id': 'staging/db' }));
    expect(secrets.ok, JSON.stringify(!secrets.ok && secrets.problems)).toBe(true);
    const lambda = buildConfig(reader({ mode: 'db-only', 'dry-run': 'true', 'db-method': 'lambda', 'db-sync-function': 'staging-db-sync' }));
    expect(lambda.ok, JSON.stringify(!lambda.ok && lambda.problems)).toBe(true);
  });

  it('rejects payloads that are not JSON and malformed function names', () => {
    const result = buildConfig(reader({ mode: 'db-only', 'dry-run': 'true', 'db-method': 'lambda', 'db-sync-function': 'no spaces', 'db-sync-payload': '{tables: all}' }));
    expect(!result.ok && result.problems.some((p) => p.startsWith('`db-sync-function` must be'))).toBe(true);
    expect(!result.ok && result.problems.some((p) => p.startsWith('`db-sync-payload` must be JSON'))).toBe(true);
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, with jitter', () => {
    const policy = { baseDelayMs: 400, maxDelayMs: 10_000 };
    expect(backoffDelay(0, { ...policy, random: () => 1 })).toBe(400);
    expect(backoffDelay(3, { ...policy, random: () => 1 })).toBe(3200);
    expect(backoffDelay(10, { ...policy, random: () => 1 })).toBe(10_000);
    expect(backoffDelay(3, { ...policy, random: () => 0 })).toBe(640);
  });
});

describe('OIDC token claims', () => {
  it('reads sub and aud without the signature, and survives garbage', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'repo:acme/bookshelf:environment:staging', aud: 'sts.amazonaws.com' })).toString('base64url');
    expect(tokenClaims(`e30.${payload}.sig`)).toEqual({ sub: 'repo:acme/bookshelf:environment:staging', aud: 'sts.amazonaws.com', iss: undefined });
    expect(tokenClaims('not-a-jwt')).toEqual({});
  });
});

describe('RDS-style secret', () => {
  it('becomes a connection, TLS required unless the secret says otherwise; every value listed for masking', () => {
    const parsed = parseDatabaseSecret(JSON.stringify({ engine: 'postgres', host: 'db.internal', port: 5433, username: 'app_rw', password: 'pa:ss@w', dbname: 'bookshelf' }));
    expect(parsed).toMatchObject({ database: { host: 'db.internal', port: 5433, user: 'app_rw', password: 'pa:ss@w', database: 'bookshelf', sslmode: 'require' } });
    expect(parsed.values.sort()).toEqual(['app_rw', 'bookshelf', 'db.internal', 'pa:ss@w'].sort());
    expect('database' in parsed && parsed.database.display).not.toContain('pa:ss@w');
  });

  it('says what is missing', () => {
    expect(parseDatabaseSecret('{"host": "h", "password": "p"}')).toMatchObject({ error: 'lacks username, dbname (or database).' });
    expect(parseDatabaseSecret('not json')).toMatchObject({ error: expect.stringContaining('is neither JSON nor a PostgreSQL URL') });
  });
});

describe('the original function\'s answer', () => {
  const results = {
    tables_synced: [{ table: 'books', rows: 208 }],
    tables_failed: [{ table: 'images', error: 'boom' }],
    total_rows: 208,
    validation: { passed: false, issues: ['images: 0 != 416'] },
    sequences_fixed: ['books_id_seq'],
  };
  it('reads the API-style wrapper with a JSON string body', () => {
    expect(parseFunctionResult({ statusCode: 200, body: JSON.stringify({ message: 'ok', results }) })).toEqual({
      statusCode: 200,
      message: 'ok',
      tablesSynced: [{ table: 'books', rows: 208 }],
      tablesFailed: [{ table: 'images', error: 'boom' }],
      totalRows: 208,
      validation: { passed: false, issues: ['images: 0 != 416'] },
      sequencesFixed: ['books_id_seq'],
    });
  });
  it('reads an unwrapped body, and sums rows when total_rows is missing', () => {
    expect(parseFunctionResult({ tables_synced: [{ table: 'a', rows: 2 }, { table: 'b', rows: 3 }] })).toMatchObject({ totalRows: 5, statusCode: undefined });
  });
  it('explains a body it cannot read', () => {
    expect(parseFunctionResult('plain text')).toEqual({ error: 'the function returned `plain text`, not a JSON object' });
    expect(parseFunctionResult({ statusCode: 502, body: 'Bad Gateway' })).toEqual({ error: 'the function answered statusCode 502: Bad Gateway' });
  });
  it('keeps the last lines of the log tail', () => {
    expect(lastLogLines('a\n\nb\nc\n', 2)).toBe('b\nc');
  });
});
