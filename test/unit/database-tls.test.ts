import { describe, expect, it } from 'vitest';
import { fallsBack, parseDatabaseUrl, sslConfig, tlsAttempts, toClientConfig, type DatabaseUrl } from '../../src/config/database-url.js';

const parse = (text: string): DatabaseUrl => {
  const db = parseDatabaseUrl(text);
  if ('error' in db) throw new Error(db.error);
  return db;
};

describe('sslmode → connection attempts (libpq semantics)', () => {
  const plain = { tls: false };
  const encrypted = { tls: true, verify: 'none' };
  it.each([
    ['', [encrypted, plain]],
    ['?sslmode=prefer', [encrypted, plain]],
    ['?sslmode=disable', [plain]],
    ['?sslmode=allow', [plain, encrypted]],
    ['?sslmode=require', [encrypted]],
    ['?sslmode=require&sslrootcert=/ca.pem', [{ tls: true, verify: 'chain' }]],
    ['?sslmode=verify-ca', [{ tls: true, verify: 'chain' }]],
    ['?sslmode=verify-full', [{ tls: true, verify: 'chain-and-host' }]],
  ])('postgres://u@h/db%s', (query, attempts) => {
    expect(tlsAttempts(parse(`postgres://u@h/db${query}`))).toEqual(attempts);
  });

  it('maps each attempt to node-postgres TLS options: no verification, chain only, chain and host name', () => {
    expect(sslConfig({ tls: false })).toBe(false);
    expect(sslConfig({ tls: true, verify: 'none' }, 'PEM')).toEqual({ rejectUnauthorized: false });
    const chain = sslConfig({ tls: true, verify: 'chain' }, 'PEM') as { rejectUnauthorized: boolean; ca: string; checkServerIdentity: () => unknown };
    expect(chain).toMatchObject({ rejectUnauthorized: true, ca: 'PEM' });
    expect(chain.checkServerIdentity()).toBeUndefined();
    expect(sslConfig({ tls: true, verify: 'chain-and-host' }, 'PEM')).toEqual({ rejectUnauthorized: true, ca: 'PEM' });
    // Without sslrootcert, Node.js's own trusted CAs.
    expect(sslConfig({ tls: true, verify: 'chain-and-host' })).toEqual({ rejectUnauthorized: true });
  });

  it('a URL without sslmode starts with TLS (it used to connect plain)', () => {
    expect(toClientConfig(parse('postgres://u@h/db')).ssl).toEqual({ rejectUnauthorized: false });
  });

  it('falls back only when the server turned that way of connecting down, not when it is unreachable', () => {
    expect(fallsBack(new Error('The server does not support SSL connections'))).toBe(true);
    expect(fallsBack(Object.assign(new Error('pg_hba.conf rejects connection for host "10.0.0.1", user "app", database "db", no encryption'), { code: '28000' }))).toBe(true);
    expect(fallsBack(Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER', library: 'SSL routines' }))).toBe(true);
    expect(fallsBack(Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }))).toBe(false);
    expect(fallsBack(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(fallsBack(new Error('Connection terminated due to connection timeout'))).toBe(false);
    expect(fallsBack(Object.assign(new Error('database "x" does not exist'), { code: '3D000' }))).toBe(false);
  });
});

describe('sslrootcert in the URL', () => {
  it('is read as the path of a CA file and not sent to the server as an option', () => {
    const db = parse('postgresql://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Frds-global-bundle.pem&application_name=x');
    expect(db.sslrootcert).toBe('/etc/ssl/rds-global-bundle.pem');
    expect(db.options).toEqual({ application_name: 'x' });
  });

  it('refuses sslrootcert=system with what to give instead', () => {
    expect(parseDatabaseUrl('postgresql://u@h/db?sslrootcert=system')).toEqual({ error: expect.stringContaining('give the path of a CA bundle file') });
  });
});
