import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl, type DatabaseUrl } from '../../src/config/database-url.js';
import { connectDatabase } from '../../src/db/connect.js';
import { seedProduction } from '../harness/db-fixtures.js';
import { runAction } from '../harness/run-action.js';
import { newDatabase, query } from '../harness/servers.js';
import { startTlsPostgres, type TlsPostgresServer } from '../harness/tls-postgres.js';

let server: TlsPostgresServer;
const TLS_ONLY = 'tls_only';
const STAGING_TLS_ONLY = (method: string) => `${TLS_ONLY}_${method}`;

beforeAll(async () => {
  server = await startTlsPostgres({ tlsOnlyDatabases: [TLS_ONLY, STAGING_TLS_ONLY('copy'), STAGING_TLS_ONLY('dump')] });
  await query(`${server.url()}?sslmode=no-verify`, `CREATE DATABASE ${TLS_ONLY}`);
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

function url(text: string): DatabaseUrl {
  const parsed = parseDatabaseUrl(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

/** Connects the way the action does and asks the server whether this session is encrypted. */
async function sessionUsesTls(text: string): Promise<boolean> {
  const { client } = await connectDatabase(url(text), 'staging', { readOnly: true });
  try {
    const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0]!.ssl;
  } finally {
    await client.end();
  }
}

const connectError = (text: string) =>
  connectDatabase(url(text), 'staging', { readOnly: true }).then(
    async ({ client }) => {
      await client.end();
      return 'connected';
    },
    (error: Error) => error.message,
  );

describe('sslmode, as libpq reads it', () => {
  it('without sslmode (libpq: prefer) a TLS-enabled server is reached over TLS', async () => {
    expect(await sessionUsesTls(server.url())).toBe(true);
    expect(await sessionUsesTls(`${server.url()}?sslmode=prefer`)).toBe(true);
  });

  it('prefer still connects, in plain, to a server without TLS', async () => {
    const plain = await newDatabase('plain');
    expect(await sessionUsesTls(plain)).toBe(false);
    expect(await sessionUsesTls(`${plain}?sslmode=prefer`)).toBe(false);
    expect(await connectError(`${plain}?sslmode=require`)).toContain('does not support SSL');
  });

  it('allow connects plain, and over TLS when the server refuses plain; disable never tries TLS', async () => {
    expect(await sessionUsesTls(`${server.url()}?sslmode=allow`)).toBe(false);
    expect(await sessionUsesTls(`${server.url(TLS_ONLY)}?sslmode=allow`)).toBe(true);
    expect(await sessionUsesTls(`${server.url()}?sslmode=disable`)).toBe(false);
    expect(await connectError(`${server.url(TLS_ONLY)}?sslmode=disable`)).toMatch(/pg_hba\.conf rejects connection .*no encryption/);
  });

  it('require encrypts without verifying, unless sslrootcert is given (then the chain is verified, as libpq does)', async () => {
    expect(await sessionUsesTls(`${server.url()}?sslmode=require`)).toBe(true);
    expect(await sessionUsesTls(`${server.url()}?sslmode=require&sslrootcert=${encodeURIComponent(server.certificateFile)}`)).toBe(true);
    const otherCa = path.join(tmpdir(), `p2s-other-ca-${process.pid}.pem`);
    // Any other CA: here the certificate Node.js itself would not trust for this server.
    await writeFile(otherCa, (await import('node:tls')).rootCertificates[0]!);
    expect(await connectError(`${server.url()}?sslmode=require&sslrootcert=${encodeURIComponent(otherCa)}`)).toMatch(/certificate/i);
  });

  it('verify-ca checks the chain but not the host name; verify-full checks both', async () => {
    const ca = `sslrootcert=${encodeURIComponent(server.certificateFile)}`;
    // The certificate is issued for db.internal; we connect to 127.0.0.1.
    expect(await sessionUsesTls(`${server.url()}?sslmode=verify-ca&${ca}`)).toBe(true);
    expect(await connectError(`${server.url()}?sslmode=verify-full&${ca}`)).toMatch(/db\.internal|altnames|host/i);
    // Without sslrootcert, the CAs Node.js trusts: a self-signed certificate is refused.
    expect(await connectError(`${server.url()}?sslmode=verify-ca`)).toMatch(/self[- ]signed/i);
  });

  it('an sslrootcert file that cannot be read is named, with what to give instead', async () => {
    const message = await connectError(`${server.url()}?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem`);
    expect(message).toContain('could not read the sslrootcert file `/nonexistent/ca.pem`');
    expect(message).toContain('PEM file of CA certificates');
  });
});

describe('a staging database that accepts TLS only, given a URL without sslmode', () => {
  for (const method of ['copy', 'dump']) {
    it(`db-method ${method} refreshes it (both methods try TLS first, as libpq's default does)`, async () => {
      const production = await newDatabase('prod_tls');
      await seedProduction(production);
      // The server refuses plain connections to this database.
      const stagingName = STAGING_TLS_ONLY(method);
      await query(`${server.url()}?sslmode=no-verify`, `CREATE DATABASE ${stagingName}`);
      const staging = server.url(stagingName);
      await seedProduction(`${staging}?sslmode=no-verify`);
      await query(`${staging}?sslmode=no-verify`, 'DELETE FROM images; DELETE FROM reviews');
      const result = await runAction({
        mode: 'db-only',
        confirm: 'staging',
        'db-method': method,
        'source-database-url': production,
        'target-database-url': staging,
      });
      expect(result.exitCode, result.log).toBe(0);
      expect(await query(`${staging}?sslmode=no-verify`, 'SELECT count(*)::int AS n FROM reviews')).toEqual([{ n: 500 }]);
    });
  }
});
