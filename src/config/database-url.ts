import type { ClientConfig } from 'pg';

/** A PostgreSQL connection parsed from a `postgres://` / `postgresql://` URL. */
export interface DatabaseUrl {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Query options other than the ones mapped to fields (e.g. `application_name`). */
  options: Record<string, string>;
  sslmode?: string;
  /** `sslrootcert`: path of a file of CA certificates that verify the server's (as libpq reads it). */
  sslrootcert?: string;
  /** The URL with the password replaced, safe to print. */
  display: string;
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/**
 * Parses a PostgreSQL URL with the WHATWG URL parser, so passwords holding `@`, `:` or `%`
 * (percent-encoded, as libpq expects), IPv6 hosts, ports and query options all work.
 * Returns a reason instead of throwing; the reason never contains the URL itself.
 */
export function parseDatabaseUrl(text: string): DatabaseUrl | { error: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { error: 'it is not a URL (expected postgresql://user:password@host:5432/database)' };
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return { error: `the scheme must be postgresql:// or postgres://, got ${url.protocol}//` };
  }
  let user: string;
  let password: string;
  let database: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  } catch {
    return { error: 'it holds a malformed %-escape (percent-encode special characters in the password, e.g. @ as %40)' };
  }
  const options: Record<string, string> = {};
  for (const [key, value] of url.searchParams) options[key] = value;
  const host = options.host ?? url.hostname.replace(/^\[(.*)\]$/, '$1');
  delete options.host;
  if (!host) return { error: 'it has no host' };
  if (!database) return { error: 'it names no database (add /database_name after the host)' };
  const port = url.port ? Number(url.port) : Number(options.port ?? 5432);
  delete options.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { error: 'its port is not a number from 1 to 65535' };
  const sslmode = options.sslmode;
  delete options.sslmode;
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode)) {
    return { error: `its sslmode must be one of ${SSL_MODES.join(', ')}, got ${sslmode}` };
  }
  const sslrootcert = options.sslrootcert || undefined;
  delete options.sslrootcert;
  if (sslrootcert === 'system') {
    return { error: 'its sslrootcert=system is not supported: give the path of a CA bundle file (e.g. the RDS global bundle), or leave it out to verify against the CAs Node.js trusts' };
  }
  if (options.user) {
    user = options.user;
    delete options.user;
  }
  if (options.password) {
    password = options.password;
    delete options.password;
  }
  const shown = new URL(url.href);
  shown.searchParams.delete('password');
  if (shown.password) shown.password = '***';
  return { host, port, database, user, password, options, sslmode, ...(sslrootcert ? { sslrootcert } : {}), display: shown.href };
}

/**
 * One way of opening the connection: plain, or TLS with some verification of the server's
 * certificate (`none`: encrypted only; `chain`: signed by a trusted CA; `chain-and-host`: that,
 * and issued for the host name connected to).
 */
export type TlsAttempt = { tls: false } | { tls: true; verify: 'none' | 'chain' | 'chain-and-host' };

/**
 * The attempts libpq makes for `sslmode`, in order; the next one is tried only when the server
 * turned the previous one down (see `fallsBack`). Absent means `prefer`, libpq's default.
 * `require` with an `sslrootcert` verifies the chain, as libpq does when a root certificate file exists.
 */
export function tlsAttempts(db: Pick<DatabaseUrl, 'sslmode' | 'sslrootcert'>): TlsAttempt[] {
  const plain: TlsAttempt = { tls: false };
  const encrypted: TlsAttempt = { tls: true, verify: 'none' };
  switch (db.sslmode ?? 'prefer') {
    case 'disable':
      return [plain];
    case 'allow':
      return [plain, encrypted];
    case 'prefer':
      return [encrypted, plain];
    case 'require':
      return [db.sslrootcert ? { tls: true, verify: 'chain' } : encrypted];
    case 'verify-ca':
      return [{ tls: true, verify: 'chain' }];
    default:
      return [{ tls: true, verify: 'chain-and-host' }];
  }
}

/**
 * Whether a failed attempt lets libpq go on to the next one: the server does not speak TLS,
 * the TLS handshake failed, or the server refused the session at startup (e.g. pg_hba.conf
 * accepts only `hostssl` or only `hostnossl`). Unreachable hosts and timeouts do not: the
 * other way would fail the same.
 */
export function fallsBack(error: unknown): boolean {
  const e = error as { message?: string; code?: unknown; library?: unknown };
  if (/server does not support SSL/i.test(e.message ?? '')) return true;
  if (typeof e.library === 'string' || (typeof e.code === 'string' && /^(ERR_SSL_|ERR_TLS_|EPROTO$)/.test(e.code))) return true;
  // SQLSTATE class 28: pg_hba.conf rejected this way of connecting. A wrong password (28P01)
  // stays wrong the other way: no second try, which would send it again, maybe unencrypted.
  return typeof e.code === 'string' && /^28[0-9A-Z]{3}$/.test(e.code) && e.code !== '28P01';
}

/** Connection settings for node-postgres; `readOnly` makes every transaction read-only server-side. */
export function toClientConfig(
  db: DatabaseUrl,
  opts: { readOnly?: boolean; applicationName?: string; attempt?: TlsAttempt; rootCertificates?: string } = {},
): ClientConfig {
  const serverOptions = [db.options.options ?? '', opts.readOnly ? '-c default_transaction_read_only=on' : '']
    .filter(Boolean)
    .join(' ');
  return {
    host: db.host,
    port: db.port,
    database: db.database,
    user: db.user || undefined,
    password: db.password || undefined,
    ssl: sslConfig(opts.attempt ?? tlsAttempts(db)[0]!, opts.rootCertificates),
    application_name: db.options.application_name ?? opts.applicationName ?? 'prod-to-staging-sync',
    connectionTimeoutMillis: db.options.connect_timeout ? Number(db.options.connect_timeout) * 1000 : 10_000,
    options: serverOptions || undefined,
  };
}

/** Without `sslrootcert`, verification uses the CAs Node.js trusts (its bundled Mozilla list). */
export function sslConfig(attempt: TlsAttempt, rootCertificates?: string): ClientConfig['ssl'] {
  if (!attempt.tls) return false;
  const ca = rootCertificates ? { ca: rootCertificates } : {};
  switch (attempt.verify) {
    case 'none':
      return { rejectUnauthorized: false };
    case 'chain':
      // Any host name: the certificate only has to be signed by a trusted CA.
      return { rejectUnauthorized: true, ...ca, checkServerIdentity: () => undefined };
    default:
      return { rejectUnauthorized: true, ...ca };
  }
}
