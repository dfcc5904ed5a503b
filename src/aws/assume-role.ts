import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { withRetry, type RetryPolicy } from '../retry.js';
import { fetchIdToken, tokenClaims } from './oidc.js';
import { boundedRequestHandler, describeTimeout, isNetworkFailure, type SdkTimeouts } from './request-handler.js';

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  audience: string;
  region: string;
  timeouts: SdkTimeouts;
}

// STS throttles bursts of role assumptions (many jobs starting at once): be patient, with jitter.
export const STS_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 400, maxDelayMs: 10_000 };

const RETRYABLE = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'IDPCommunicationError', 'IDPCommunicationErrorException']);

function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return RETRYABLE.has(e.name ?? '') || RETRYABLE.has(e.Code ?? '') || status >= 500 || isNetworkFailure(error);
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
  retry: RetryPolicy = STS_RETRY,
): Promise<AssumedRole> {
  // Our own retries, not the SDK's: each attempt needs a new token.
  const sts = new STSClient({ region: request.region, maxAttempts: 1, requestHandler: boundedRequestHandler(request.timeouts) });
  // Empty while a token is being fetched: a failed fetch explains itself and is not retried here.
  let token = '';
  let attempts = 0;
  try {
    return await withRetry(
      async (attempt) => {
        attempts = attempt;
        token = '';
        token = await fetchIdToken(request.audience, `\`${request.roleArn}\``);
        mask(token);
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
          attempts: attempt,
        };
      },
      retry,
      { retryOn: (error) => token !== '' && isRetryable(error) },
    );
  } catch (error) {
    if (!token) throw error;
    throw describeAssumeRoleError(error, request, token, attempts);
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
  const timeout = describeTimeout(error, request.timeouts);
  if (timeout) {
    return new Error(
      `STS did not answer AssumeRoleWithWebIdentity for \`${request.roleArn}\` (${timeout}, ${attempts} attempts with backoff). ` +
        'Check that the runner reaches STS in `aws-region` (a proxy or firewall may hold the connection); raise `network-timeout` if STS is just slow.',
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

/**
 * Who these credentials are (undefined credentials: the default chain). The SDK retries
 * timeouts itself (3 attempts); the last one is explained.
 */
export async function callerIdentity(
  region: string,
  timeouts: SdkTimeouts,
  credentials?: AwsCredentialIdentity | (() => Promise<AwsCredentialIdentity>),
): Promise<CallerIdentity> {
  const sts = new STSClient({ region, requestHandler: boundedRequestHandler(timeouts), ...(credentials ? { credentials } : {}) });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '' };
  } catch (error) {
    const timeout = describeTimeout(error, timeouts);
    if (!timeout) throw error;
    const e = new Error(
      `STS did not answer GetCallerIdentity (${timeout}, 3 attempts). Check that the runner reaches STS in \`aws-region\`; raise \`network-timeout\` if STS is just slow.`,
    );
    e.name = 'TimeoutError';
    throw e;
  } finally {
    sts.destroy();
  }
}
