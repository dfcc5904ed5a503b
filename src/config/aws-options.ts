import type { InputSource } from './inputs.js';

export type AwsSide = 'source' | 'target';

/** Inputs of this capability, validated; problems go to `inputs.problems`. */
export interface AwsOptions {
  /** Role assumed through GitHub OIDC for each side; one role given serves both sides. None: the default credential chain. */
  roles: Partial<Record<AwsSide, string>>;
  /** The side whose input named each role: STS is called in that side's region (a role serving both sides is assumed once). */
  roleHomes: Record<string, AwsSide>;
  roleSessionName: string;
  roleDurationSeconds: number;
  /** `aud` claim requested for the GitHub OIDC token. */
  audience: string;
  /** Staging's credentials must belong to this account (guard against writing into production's). */
  targetAccountId?: string;
  /** Secrets Manager secret (RDS-style JSON) holding each side's database connection. */
  databaseSecretIds: Partial<Record<AwsSide, string>>;
  /** Function (name or ARN) that refreshes the database from inside staging's network (`db-method: lambda`). */
  dbSyncFunction?: string;
  /** JSON sent to that function (its fields are merged into the protocol's event). */
  dbSyncPayload: unknown;
  /**
   * Whether `db-sync-payload` was given: the mark of a function of the original shape, which would
   * not know the protocol's read-only `inspect` (and might refresh): dry runs then invoke nothing.
   */
  dbSyncPayloadGiven: boolean;
  /** How long to wait for the function's answer (`db-sync-timeout`). */
  dbSyncTimeoutMs: number;
}

/** A function runs at most 15 minutes; the default wait leaves room for a cold start on top. */
export const DEFAULT_DB_SYNC_TIMEOUT = '16m';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
// A function name, a partial ARN (123456789012:function:name) or a full ARN, with an optional version or alias.
const FUNCTION_REF = /^((arn:aws[a-z-]*:lambda:[a-z0-9-]+:)?\d{12}:function:)?[\w-]{1,64}(:[\w$-]{1,128})?$/;
export const DEFAULT_SESSION_NAME = 'prod-to-staging-sync';

/** Facts about the workflow run (from the runner's environment, read by main). */
export interface AwsRunnerFacts {
  repository?: string;
  runId?: string;
  /** AWS_REGION, else AWS_DEFAULT_REGION (what aws-actions/configure-aws-credentials exports): used when `aws-region` is empty. */
  awsRegion?: string;
}

export function parseAwsOptions(inputs: InputSource, runner: AwsRunnerFacts = {}): AwsOptions {
  const { problems } = inputs;
  const roleArn = (name: string): string | undefined => {
    const text = inputs.value(name);
    if (!text) return undefined;
    if (ROLE_ARN.test(text)) return text;
    problems.push(`\`${name}\` must be an IAM role ARN such as \`arn:aws:iam::123456789012:role/staging-refresh\`, got \`${text}\`.`);
    return undefined;
  };
  const sourceRole = roleArn('source-role-arn');
  const targetRole = roleArn('target-role-arn');

  const targetAccountId = inputs.value('target-account-id') || undefined;
  if (targetAccountId && !/^\d{12}$/.test(targetAccountId)) {
    problems.push(`\`target-account-id\` must be a 12-digit AWS account id, got \`${targetAccountId}\`.`);
  }

  const dbSyncFunction = inputs.value('db-sync-function') || undefined;
  if (dbSyncFunction && !FUNCTION_REF.test(dbSyncFunction)) {
    problems.push(
      `\`db-sync-function\` must be a Lambda function name or ARN (e.g. \`staging-db-sync\` or \`arn:aws:lambda:us-east-1:123456789012:function:staging-db-sync\`), got \`${dbSyncFunction}\`.`,
    );
  }
  const payloadText = inputs.value('db-sync-payload', '{}');
  let dbSyncPayload: unknown = {};
  try {
    dbSyncPayload = JSON.parse(payloadText);
  } catch (error) {
    problems.push(`\`db-sync-payload\` must be JSON (e.g. \`{"tables": ["books"]}\`): ${(error as Error).message}.`);
  }

  const dbSyncTimeoutMs = inputs.duration('db-sync-timeout', DEFAULT_DB_SYNC_TIMEOUT);
  if (dbSyncTimeoutMs < 1_000 || dbSyncTimeoutMs > 3_600_000) {
    problems.push(`\`db-sync-timeout\` must be from 1s to 1h (a function runs at most 15 minutes), got \`${inputs.value('db-sync-timeout')}\`.`);
  }

  return {
    roles: { source: sourceRole ?? targetRole, target: targetRole ?? sourceRole },
    roleHomes: { ...(targetRole ? { [targetRole]: 'target' as const } : {}), ...(sourceRole ? { [sourceRole]: 'source' as const } : {}) },
    roleSessionName: cleanSessionName(inputs.value('role-session-name', defaultSessionName(runner))),
    roleDurationSeconds: inputs.integer('role-duration-seconds', 3600, 900, 43200),
    audience: inputs.value('audience', 'sts.amazonaws.com'),
    targetAccountId,
    databaseSecretIds: {
      source: inputs.value('source-database-secret-id') || undefined,
      target: inputs.value('target-database-secret-id') || undefined,
    },
    dbSyncFunction,
    dbSyncPayload,
    dbSyncPayloadGiven: inputs.value('db-sync-payload') !== '',
    dbSyncTimeoutMs,
  };
}

/** `<owner>-<repo>-run-<run id>`: says in CloudTrail which workflow run acted. */
export function defaultSessionName(runner: AwsRunnerFacts): string {
  if (!runner.repository) return DEFAULT_SESSION_NAME;
  return `${runner.repository}${runner.runId ? `-run-${runner.runId}` : ''}`;
}

/**
 * A role session name STS accepts: only `[\w+=,.@-]`, 2–64 characters. When it is too long the
 * middle goes, keeping the repository's start and the run id (what tells runs apart).
 */
export function cleanSessionName(text: string): string {
  let name = text.replace(/[^\w+=,.@-]+/g, '-').replace(/^-+|-+$/g, '');
  if (name.length > 64) name = `${name.slice(0, 42)}--${name.slice(-20)}`;
  return name.length >= 2 ? name : DEFAULT_SESSION_NAME;
}

/** Whether both sides use the same credentials (server-side copies between the buckets are possible). */
export const sharesCredentials = (aws: AwsOptions): boolean => aws.roles.source === aws.roles.target;

export interface DatabaseInputsGiven {
  /** Set when the mode refreshes the database. */
  mode?: string;
  touchesDatabase: boolean;
  dbMethod?: string;
  /** Whether `source-database-url` / `target-database-url` were given. */
  urlGiven: Record<AwsSide, boolean>;
}

/**
 * Where each database connection comes from, and the rules that tie these inputs to the database
 * method: a URL or a secret id per side (not both); none needed with `db-method: lambda` (the
 * function reaches the databases); `lambda` needs a function, and a function without `lambda`
 * is almost certainly a forgotten input.
 */
export function checkDatabaseInputs(aws: AwsOptions, given: DatabaseInputsGiven, problems: string[]): void {
  for (const side of ['source', 'target'] as const) {
    const secretId = aws.databaseSecretIds[side];
    if (given.urlGiven[side] && secretId) {
      problems.push(`\`${side}-database-url\` and \`${side}-database-secret-id\` are both set: give one of them (the secret is read with the ${side}'s AWS credentials).`);
    } else if (!given.urlGiven[side] && !secretId && given.touchesDatabase && given.dbMethod !== 'lambda') {
      problems.push(
        `\`${side}-database-url\` (or \`${side}-database-secret-id\`) is required when \`mode\` is \`${given.mode}\` (or use \`mode: images-only\`).`,
      );
    }
  }
  if (!given.touchesDatabase) return;
  if (given.dbMethod === 'lambda' && !aws.dbSyncFunction) {
    problems.push("`db-sync-function` is required when `db-method` is `lambda`: give the name or ARN of the function that copies the database inside the target's network.");
  }
  if (given.dbMethod !== 'lambda' && aws.dbSyncFunction) {
    problems.push(`\`db-sync-function\` is set but \`db-method\` is \`${given.dbMethod}\`: set \`db-method: lambda\` to refresh the database through the function, or remove \`db-sync-function\`.`);
  }
}

/** Whether the run needs the `aws-access` step (roles, secrets or the account guard). */
export function needsAwsAccess(aws: AwsOptions): boolean {
  return Boolean(aws.roles.source || aws.roles.target || aws.targetAccountId || aws.databaseSecretIds.source || aws.databaseSecretIds.target);
}

/**
 * Whether the runner itself connects to both databases (to inspect and verify). With
 * `db-method: lambda` and no URL or secret the databases are private: only the function reaches them.
 */
export function runnerReachesDatabases(config: { source: { database?: unknown }; target: { database?: unknown }; aws: AwsOptions }): boolean {
  const reach = (side: AwsSide) => Boolean(config[side].database || config.aws.databaseSecretIds[side]);
  return reach('source') && reach('target');
}
