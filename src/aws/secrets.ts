import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { parseDatabaseUrl, type DatabaseUrl } from '../config/database-url.js';
import { boundedRequestHandler, describeTimeout, type SdkTimeouts } from './request-handler.js';

/**
 * Values of a secret that are never masked: masking `postgres` (RDS's default user and database
 * name) would garble every mention of PostgreSQL in the log, and it reveals nothing.
 */
const TOO_GENERIC_TO_MASK = new Set(['postgres', 'postgresql']);

/**
 * Reads a database secret — RDS-style JSON (`host`, `port`, `username`, `password`, `dbname` or
 * `database`) or a `postgresql://` URL — and turns it into a connection. Every value is handed to `mask` before anything can print it.
 */
export async function readDatabaseSecret(
  secretId: string,
  opts: { region: string; credentials?: AwsCredentialIdentityProvider; mask: (secret: string) => void; what: string; timeouts: SdkTimeouts },
): Promise<DatabaseUrl> {
  // The SDK retries a timed-out request (3 attempts in all).
  const client = new SecretsManagerClient({
    region: secretRegion(secretId) ?? opts.region,
    requestHandler: boundedRequestHandler(opts.timeouts),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  let text: string | undefined;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    text = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    const timeout = describeTimeout(error, opts.timeouts);
    if (timeout) {
      throw new Error(
        `could not read secret \`${secretId}\` (${opts.what}): Secrets Manager did not answer (${timeout}, 3 attempts). ` +
          'Check that the runner reaches Secrets Manager in `aws-region`; raise `network-timeout` if it is just slow.',
      );
    }
    const hint =
      e.name === 'AccessDeniedException'
        ? ` The credentials used for ${opts.what} need \`secretsmanager:GetSecretValue\` on this secret (and \`kms:Decrypt\` on its key when it uses a customer-managed key).`
        : e.name === 'ResourceNotFoundException'
          ? ' Check the name, and the region: the side\'s `source-region`/`target-region` (else `aws-region`) must be the secret\'s, or give the secret\'s full ARN (its region is used).'
          : '';
    throw new Error(`could not read secret \`${secretId}\` (${opts.what}): ${e.name}: ${e.message}.${hint}`);
  } finally {
    client.destroy();
  }
  if (!text) throw new Error(`secret \`${secretId}\` (${opts.what}) holds no text; ${EXPECTED}.`);
  opts.mask(text);
  const parsed = parseDatabaseSecret(text);
  for (const value of parsed.values) opts.mask(value);
  if ('error' in parsed) throw new Error(`secret \`${secretId}\` (${opts.what}) ${parsed.error}`);
  return parsed.database;
}

/** The region in a secret's ARN (`arn:aws:secretsmanager:eu-west-1:…`): a secret lives there, whatever the side's region. */
export function secretRegion(secretId: string): string | undefined {
  return /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:/.exec(secretId)?.[1];
}

/** What a secret may hold, for error messages. */
const EXPECTED = 'expected RDS-style JSON with host, port, username, password and dbname, or a postgresql://user:password@host:5432/database URL';

/**
 * The pure part: secret text → connection, plus every value to mask (even on error). The text is
 * RDS-style JSON or a PostgreSQL URL (what many teams store when they do not use RDS rotation).
 */
export function parseDatabaseSecret(text: string): { values: string[] } & ({ database: DatabaseUrl } | { error: string }) {
  if (/^\s*postgres(ql)?:\/\//i.test(text)) return parseUrlSecret(text.trim());
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { values: [], error: `is neither JSON nor a PostgreSQL URL; ${EXPECTED}.` };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    return { values: [], error: `is not a JSON object; ${EXPECTED}.` };
  }
  const secret = json as Record<string, unknown>;
  const values = Object.entries(secret)
    .filter(([key, value]) => typeof value === 'string' && key !== 'engine' && !TOO_GENERIC_TO_MASK.has(value))
    .map(([, value]) => value as string);
  const str = (key: string) => (typeof secret[key] === 'string' ? (secret[key] as string) : undefined);
  const host = str('host');
  const user = str('username') ?? str('user');
  const password = str('password');
  const database = str('dbname') ?? str('database');
  const missing = [!host && 'host', !user && 'username', !password && 'password', !database && 'dbname (or database)'].filter(Boolean);
  if (missing.length > 0) return { values, error: `lacks ${missing.join(', ')}.` };
  const port = secret.port === undefined ? 5432 : Number(secret.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { values, error: 'has a port that is not a number from 1 to 65535.' };
  // RDS enforces TLS by default (rds.force_ssl on PostgreSQL 15+); a secret may say otherwise.
  const sslmode = str('sslmode') ?? 'require';
  const shown = new URL('postgresql://placeholder');
  shown.hostname = host!.includes(':') ? `[${host}]` : host!;
  shown.port = String(port);
  shown.username = encodeURIComponent(user!);
  shown.password = '***';
  shown.pathname = `/${encodeURIComponent(database!)}`;
  shown.searchParams.set('sslmode', sslmode);
  return { values, database: { host: host!, port, database: database!, user: user!, password: password!, options: {}, sslmode, display: shown.href } };
}

/**
 * A `postgresql://` secret: parsed like the URL inputs (its `sslmode` as written). Its password
 * (raw and %-decoded), user, host and database are masked, as every value of a JSON secret is.
 */
function parseUrlSecret(text: string): { values: string[] } & ({ database: DatabaseUrl } | { error: string }) {
  const values: string[] = [];
  try {
    const url = new URL(text);
    for (const raw of [url.password, url.searchParams.get('password') ?? '', url.username, url.hostname, url.pathname.slice(1)]) {
      values.push(raw);
      try {
        values.push(decodeURIComponent(raw));
      } catch {
        // a malformed escape: the raw text is masked, the parser says what is wrong
      }
    }
  } catch {
    // not a URL: the parser says so
  }
  const masked = [...new Set(values.filter((v) => v && !TOO_GENERIC_TO_MASK.has(v)))];
  const parsed = parseDatabaseUrl(text);
  if ('error' in parsed) return { values: masked, error: `holds a URL that is not a valid PostgreSQL URL: ${parsed.error}.` };
  if (!parsed.password) return { values: masked, error: 'holds a PostgreSQL URL without a password (postgresql://user:password@host:5432/database).' };
  return { values: [...new Set([...masked, parsed.password])], database: parsed };
}
