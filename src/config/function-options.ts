/** The function's configuration (`db-method: lambda`'s function), from its environment. */
export interface FunctionOptions {
  sourceSecretArn: string;
  targetSecretArn: string;
  /** The only environment the function refreshes (e.g. `staging`). */
  targetName: string;
  sourceName: string;
  /** libpq's sslmode for both databases; `verify-full` when a CA bundle is given. */
  sslmode: string;
  /** PEM file of CA certificates (e.g. the RDS global bundle in a layer): certificates are verified. */
  caBundle?: string;
  region: string;
  /** Bytes per second the time check assumes when the function has measured nothing faster. */
  assumedBytesPerSecond: number;
  /** Seconds between progress lines while a table loads. */
  progressSeconds: number;
}

/** A conservative rate for the time check; the copy ran well above it locally (see README, Private databases). */
export const DEFAULT_ASSUMED_BYTES_PER_SECOND = 5 * 1024 * 1024;

export function parseFunctionOptions(env: Record<string, string | undefined>): FunctionOptions | { error: string } {
  const missing = ['SOURCE_SECRET_ARN', 'TARGET_SECRET_ARN', 'TARGET_NAME'].filter((name) => !env[name]);
  if (missing.length > 0) return { error: `the function's environment lacks ${missing.join(', ')}: set them in its configuration (see README, Private databases)` };
  const caBundle = env.DB_CA_BUNDLE || undefined;
  const sslmode = env.DB_SSLMODE || (caBundle ? 'verify-full' : 'require');
  if (!['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'].includes(sslmode)) {
    return { error: `DB_SSLMODE must be one of disable, allow, prefer, require, verify-ca, verify-full; got \`${sslmode}\`` };
  }
  const rate = Number(env.DB_ASSUMED_MB_PER_SECOND || 0);
  const progress = Number(env.DB_PROGRESS_SECONDS || 5);
  return {
    sourceSecretArn: env.SOURCE_SECRET_ARN!,
    targetSecretArn: env.TARGET_SECRET_ARN!,
    targetName: env.TARGET_NAME!,
    sourceName: env.SOURCE_NAME || 'production',
    sslmode,
    ...(caBundle ? { caBundle } : {}),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    assumedBytesPerSecond: rate > 0 ? rate * 1024 * 1024 : DEFAULT_ASSUMED_BYTES_PER_SECOND,
    progressSeconds: progress > 0 && progress <= 5 ? progress : 5,
  };
}
