import * as core from '@actions/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { sharesCredentials, type AwsSide } from '../config/aws-options.js';
import type { SyncConfig } from '../config/config.js';
import type { RetryPolicy } from '../retry.js';
import { assumeRoleWithOidc, callerIdentity, type AssumedRole, type CallerIdentity } from './assume-role.js';
import type { SdkTimeouts } from './request-handler.js';
import { readDatabaseSecret } from './secrets.js';

/** Re-assume this long before the credentials expire, so no request is signed with expiring keys. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * The AWS credentials of each side. Roles are assumed by `resolve()` (the `aws-access` step,
 * planned first); until then a side with a role has no credentials and using it is a bug.
 * Credentials stay inside this process: they go to SDK clients, never to the environment.
 */
export class AwsAccess {
  private readonly providers = new Map<string, AwsCredentialIdentityProvider>();
  readonly identities: Partial<Record<AwsSide, CallerIdentity>> = {};

  constructor(
    private readonly config: SyncConfig,
    private readonly mask: (secret: string) => void,
    private readonly retry?: RetryPolicy,
  ) {}

  /** Bounds of every STS and Secrets Manager request (`network-timeout`). */
  private get timeouts(): SdkTimeouts {
    const { connectTimeoutMs, requestTimeoutMs } = this.config.network;
    return { connectTimeoutMs, answerTimeoutMs: requestTimeoutMs, idleTimeoutMs: requestTimeoutMs };
  }

  /** True when both sides use the same credentials, so server-side copies between the buckets work. */
  get sharedCredentials(): boolean {
    return sharesCredentials(this.config.aws);
  }

  /** Credentials for one side's clients; undefined means the SDK's default credential chain. */
  credentials(side: AwsSide): AwsCredentialIdentityProvider | undefined {
    const role = this.config.aws.roles[side];
    if (!role) return undefined;
    const provider = this.providers.get(role);
    if (!provider) throw new Error(`internal: ${side} role \`${role}\` used before the aws-access step assumed it`);
    return provider;
  }

  /** Describes a side's credentials for the log: role and account, never keys. */
  describe(side: AwsSide): string {
    const role = this.config.aws.roles[side];
    const identity = this.identities[side];
    const who = role ? `role \`${roleName(role)}\`` : 'the default credential chain';
    return identity ? `${who} (account ${identity.account})` : who;
  }

  /**
   * Assumes each distinct role, checks who it is, applies the `target-account-id` guard and reads
   * the database secrets with each side's own credentials. Returns the step's one-line detail.
   */
  async resolve(): Promise<string> {
    const { aws, regions } = this.config;
    const parts: string[] = [];
    const assumed = new Map<string, CallerIdentity>();
    for (const side of ['source', 'target'] as const) {
      const role = aws.roles[side];
      if (!role) continue;
      let identity = assumed.get(role);
      if (!identity) {
        const first = await this.assume(role);
        const provider = this.refreshingProvider(role, first);
        this.providers.set(role, provider);
        identity = await callerIdentity(regions[this.homeOf(role)], this.timeouts, provider).catch((error: Error) => {
          if (error.name === 'TimeoutError') throw new Error(`assumed \`${role}\`, but ${error.message}`);
          throw new Error(`assumed \`${role}\`, but STS GetCallerIdentity failed with those credentials: ${error.name}: ${error.message}`);
        });
        assumed.set(role, identity);
        core.info(`${this.config[side].name}: assumed ${identity.arn} (account ${identity.account})${first.attempts > 1 ? ` after ${first.attempts} attempts` : ''}.`);
      }
      this.identities[side] = identity;
    }
    if (aws.roles.source || aws.roles.target) {
      parts.push(
        this.sharedCredentials
          ? `both sides: ${this.describe('source')}`
          : `${this.config.source.name}: ${this.describe('source')}; ${this.config.target.name}: ${this.describe('target')}`,
      );
    } else {
      parts.push('default AWS credential chain for both sides');
    }

    if (aws.targetAccountId) {
      // Without a target role the guard still applies, to whatever the default chain resolves to.
      const identity = this.identities.target ?? (await callerIdentity(regions.target, this.timeouts));
      this.identities.target = identity;
      if (identity.account !== aws.targetAccountId) {
        throw new Error(
          `${this.config.target.name}'s credentials (${identity.arn}) belong to account ${identity.account}, not \`target-account-id\` ${aws.targetAccountId}. ` +
            `Refusing to do anything: this guard keeps writes meant for ${this.config.target.name} from landing in another account (such as ${this.config.source.name}'s). ` +
            `Check \`target-role-arn\` (its account is the 12 digits in the ARN) or \`target-account-id\`.`,
        );
      }
      parts.push(`${this.config.target.name} is in account ${identity.account} as required`);
    }

    const secretsRead: string[] = [];
    for (const side of ['source', 'target'] as const) {
      const secretId = aws.databaseSecretIds[side];
      if (!secretId) continue;
      const env = this.config[side];
      env.database = await readDatabaseSecret(secretId, {
        region: regions[side],
        credentials: this.credentials(side),
        mask: this.mask,
        timeouts: this.timeouts,
        what: `${env.name}'s database, read with ${this.describe(side)}`,
      });
      // Every value of the secret is masked (host and database name too), so there is nothing useful to print.
      core.info(`${env.name}: database connection read from secret \`${secretId}\`.`);
      secretsRead.push(env.name);
    }
    if (secretsRead.length > 0) parts.push(`database credentials of ${secretsRead.join(' and ')} read from Secrets Manager`);
    return parts.join('; ');
  }

  /** Through STS in the region of the side whose input named the role. */
  private assume(role: string): Promise<AssumedRole> {
    const { aws, regions } = this.config;
    return assumeRoleWithOidc(
      { roleArn: role, sessionName: aws.roleSessionName, durationSeconds: aws.roleDurationSeconds, audience: aws.audience, region: regions[this.homeOf(role)], timeouts: this.timeouts },
      this.mask,
      this.retry,
    );
  }

  private homeOf(role: string): AwsSide {
    return this.config.aws.roleHomes[role] ?? 'target';
  }

  /** Long runs outlive `role-duration-seconds`: assume the role again shortly before expiry. */
  private refreshingProvider(role: string, first: AssumedRole): AwsCredentialIdentityProvider {
    let current: AwsCredentialIdentity = first.credentials;
    let pending: Promise<AwsCredentialIdentity> | undefined;
    return async () => {
      if (current.expiration && current.expiration.getTime() - Date.now() < REFRESH_MARGIN_MS) {
        pending ??= this.assume(role)
          .then((next) => (current = next.credentials))
          .finally(() => (pending = undefined));
        return pending;
      }
      return current;
    };
  }
}

/** `staging-refresh` from `arn:aws:iam::123456789012:role/ci/staging-refresh`. */
export function roleName(arn: string): string {
  return arn.replace(/^arn:[^:]+:iam::\d{12}:role\//, '');
}

