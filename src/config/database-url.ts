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
  return { host, port, database, user, password, options, sslmode, display: shown.href };
}

/** Connection settings for node-postgres; `readOnly` makes every transaction read-only server-side. */
export function toClientConfig(db: DatabaseUrl, opts: { readOnly?: boolean; applicationName?: string } = {}): ClientConfig {
  const serverOptions = [db.options.options ?? '', opts.readOnly ? '-c default_transaction_read_only=on' : '']
    .filter(Boolean)
    .join(' ');
  return {
    host: db.host,
    port: db.port,
    database: db.database,
    user: db.user || undefined,
    password: db.password || undefined,
    ssl: sslConfig(db.sslmode),
    application_name: db.options.application_name ?? opts.applicationName ?? 'prod-to-staging-sync',
    connectionTimeoutMillis: db.options.connect_timeout ? Number(db.options.connect_timeout) * 1000 : 10_000,
    options: serverOptions || undefined,
  };
}

function sslConfig(mode: string | undefined): ClientConfig['ssl'] {
  switch (mode) {
    case undefined:
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    default:
      return { rejectUnauthorized: true };
  }
}
