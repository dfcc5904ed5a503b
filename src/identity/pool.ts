import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { poolDirectory, type PoolDirectory, type PoolUserAttributes } from './directory.js';

/** ListUsers' largest page. */
const PAGE_SIZE = 60;

export interface PoolListing {
  directory: PoolDirectory;
  pages: number;
  seconds: number;
}

/**
 * Lists every user of a Cognito user pool (ListUsers, page by page with PaginationToken), keeping
 * only what the remap needs: each user's `email` and `sub`. Nothing read here is ever printed.
 */
export async function listPoolUsers(opts: {
  userPoolId: string;
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  /** Whose credentials these are, for error messages (e.g. "staging's role `x` (account 1234…)"). */
  who: string;
  /** Stop after this many pages (a probe of access reads one). Default: every page. */
  maxPages?: number;
}): Promise<PoolListing> {
  const started = performance.now();
  // The endpoint comes from the SDK's own settings (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER), as for the other AWS clients.
  const client = new CognitoIdentityProviderClient({ region: opts.region, ...(opts.credentials ? { credentials: opts.credentials } : {}) });
  const users: PoolUserAttributes[] = [];
  const tokensSeen = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  try {
    do {
      const out = await client
        .send(new ListUsersCommand({ UserPoolId: opts.userPoolId, Limit: PAGE_SIZE, AttributesToGet: ['email', 'sub'], ...(token ? { PaginationToken: token } : {}) }))
        .catch((error: unknown) => {
          throw new Error(listUsersFailure(error, opts, pages));
        });
      pages++;
      for (const user of out.Users ?? []) users.push(Object.fromEntries((user.Attributes ?? []).map((a) => [a.Name ?? '', a.Value ?? ''])));
      token = out.PaginationToken || undefined;
      // A token seen before would list the same pages forever.
      if (token && tokensSeen.has(token)) throw new Error(`Cognito ListUsers on pool \`${opts.userPoolId}\` returned a pagination token it had returned before (page ${pages}); stopped listing.`);
      if (token) tokensSeen.add(token);
    } while (token && pages < (opts.maxPages ?? Infinity));
  } finally {
    client.destroy();
  }
  return { directory: poolDirectory(users), pages, seconds: Math.round(performance.now() - started) / 1000 };
}

/** What went wrong and what to do, from the service's error (its name and message hold no user data). */
function listUsersFailure(error: unknown, opts: { userPoolId: string; region: string; who: string }, pagesRead: number): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const hint =
    name === 'AccessDeniedException' || name === 'NotAuthorizedException'
      ? ` ${opts.who} need \`cognito-idp:ListUsers\` on arn:aws:cognito-idp:${opts.region}:<staging's account>:userpool/${opts.userPoolId}.`
      : name === 'ResourceNotFoundException'
        ? ` Check \`cognito-user-pool-id\`: the pool is looked up in ${opts.region} (the region its id starts with), with ${opts.who}.`
        : '';
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  const where = pagesRead > 0 ? ` after ${pagesRead} page(s)` : '';
  return `could not list staging's Cognito user pool \`${opts.userPoolId}\`${where}: ListUsers failed with ${name}${status}: ${(e.message ?? String(error)).replace(/\.$/, '')}.${hint}`;
}
