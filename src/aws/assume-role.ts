import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { fetchIdToken, tokenClaims } from './oidc.js';

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  audience: string;
  region: string;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 400,
  maxDelayMs: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** "Full jitter" backoff: a random wait up to an exponentially growing cap, so retrying jobs spread out. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(cap * (0.2 + 0.8 * policy.random()));
}

const RETRYABLE = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'IDPCommunicationError', 'IDPCommunicationErrorException']);

function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return RETRYABLE.has(e.name ?? '') || RETRYABLE.has(e.Code ?? '') || status >= 500;
}

export interface AssumedRole {
  credentials: Required<Pick<AwsCredentialIdentity, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiration'>>;
  /** How many STS calls it took (1 when nothing was retried). */
  attempts: number;
}

/**
 * Assumes `roleArn` with a GitHub OIDC token. Throttling and IdP communication errors are retried
 * with jittered backoff, each attempt with a freshly fetched token (a token fetched once can expire
 * during long retries). Every secret is handed to `mask` before it can reach a log.
 */
export async function assumeRoleWithOidc(
  request: AssumeRoleRequest,
  mask: (secret: string) => void,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<AssumedRole> {
  // Our own retry loop, not the SDK's: each retry needs a new token.
  const sts = new STSClient({ region: request.region, maxAttempts: 1 });
  try {
    for (let attempt = 0; ; attempt++) {
      const token = await fetchIdToken(request.audience, `\`${request.roleArn}\``);
      mask(token);
      try {
        const out = await sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: request.roleArn,
            RoleSessionName: request.sessionName,
            WebIdentityToken: token,
            DurationSeconds: request.durationSeconds,
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
          throw new Error(`STS answered AssumeRoleWithWebIdentity for \`${request.roleArn}\` without credentials.`);
        }
        mask(c.AccessKeyId);
        mask(c.SecretAccessKey);
        mask(c.SessionToken);
        return {
          credentials: {
            accessKeyId: c.AccessKeyId,
            secretAccessKey: c.SecretAccessKey,
            sessionToken: c.SessionToken,
            expiration: c.Expiration ?? new Date(Date.now() + request.durationSeconds * 1000),
          },
          attempts: attempt + 1,
        };
      } catch (error) {
        if (isRetryable(error) && attempt + 1 < retry.attempts) {
          await retry.sleep(backoffDelay(attempt, retry));
          continue;
        }
        throw describeAssumeRoleError(error, request, token, attempt + 1);
      }
    }
  } finally {
    sts.destroy();
  }
}

/** An STS refusal explained: which role, the likely cause, and the token's `sub` the trust policy saw. */
export function describeAssumeRoleError(error: unknown, request: AssumeRoleRequest, token: string, attempts: number): Error {
  const e = error as { name?: string; message?: string };
  const name = e.name ?? 'Error';
  const claims = tokenClaims(token);
  const sub = claims.sub ? `\`${claims.sub}\`` : '(none)';
  const aud = Array.isArray(claims.aud) ? claims.aud.join(', ') : (claims.aud ?? request.audience);
  const stsSays = `STS said: ${name}: ${e.message ?? ''}`.trim();
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new Error(
      `AWS refused to let this workflow assume \`${request.roleArn}\`. ${stsSays}\n` +
        `Likely cause: the role's trust policy does not admit this workflow's token. It must trust the federated principal ` +
        `\`token.actions.githubusercontent.com\` and its conditions must match the token: \`token.actions.githubusercontent.com:sub\` ` +
        `is ${sub} and \`token.actions.githubusercontent.com:aud\` is \`${aud}\` (input \`audience\`). ` +
        `A job that runs in a GitHub environment gets a sub ending in \`:environment:<name>\`, not \`:ref:...\`. ` +
        `See "AWS access and IAM" in the README.`,
    );
  }
  if (name === 'InvalidIdentityToken' || name === 'InvalidIdentityTokenException') {
    return new Error(
      `AWS rejected the GitHub OIDC token for \`${request.roleArn}\`. ${stsSays}\n` +
        `Likely cause: the account has no IAM OIDC provider for \`https://token.actions.githubusercontent.com\`, or its audience list does not contain \`${aud}\` (input \`audience\`). Token sub: ${sub}.`,
    );
  }
  if (isRetryable(error)) {
    return new Error(`STS kept refusing to assume \`${request.roleArn}\` after ${attempts} attempts with backoff. ${stsSays}`);
  }
  return new Error(`could not assume \`${request.roleArn}\`: ${stsSays}`);
}

export interface CallerIdentity {
  account: string;
  arn: string;
}

/** Who these credentials are (undefined credentials: the default chain). */
export async function callerIdentity(region: string, credentials?: AwsCredentialIdentity | (() => Promise<AwsCredentialIdentity>)): Promise<CallerIdentity> {
  const sts = new STSClient({ region, ...(credentials ? { credentials } : {}) });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '' };
  } finally {
    sts.destroy();
  }
}
