import * as core from '@actions/core';

export const PERMISSIONS_BLOCK = ['permissions:', '  id-token: write   # lets the job request a GitHub OIDC token', '  contents: read'].join('\n');

/**
 * A fresh GitHub OIDC token for `audience`. @actions/core masks it; a missing `id-token: write`
 * permission becomes an error that shows the block to add.
 */
export async function fetchIdToken(audience: string, forRole: string): Promise<string> {
  try {
    return await core.getIDToken(audience);
  } catch (error) {
    const text = (error as Error).message ?? String(error);
    if (/ACTIONS_ID_TOKEN_REQUEST_(URL|TOKEN)/.test(text)) {
      // The runner sets ACTIONS_ID_TOKEN_REQUEST_URL only for jobs granted id-token: write; in a
      // reusable workflow that grant must come from the calling job, which is easy to miss.
      throw new Error(
        `this job cannot request a GitHub OIDC token, which assuming ${forRole} needs: grant \`permissions: id-token: write\` to the calling job ` +
          `(the job that runs this action, or the job that calls the reusable workflow: a called workflow never gets more permissions than its caller grants). ` +
          `Add this to that job (or to its workflow):\n\n${PERMISSIONS_BLOCK}\n\n` +
          `Workflows triggered by pull requests from forks never get OIDC tokens; without roles, the action uses the default AWS credential chain instead (e.g. aws-actions/configure-aws-credentials in an earlier step).`,
      );
    }
    throw new Error(`could not get a GitHub OIDC token (audience ${audience}): ${text.replace(/^Error message: /, '')}`);
  }
}

export interface TokenClaims {
  sub?: string;
  aud?: string | string[];
  iss?: string;
}

/**
 * The claims of a JWT, without verifying it: only to explain a refusal (the `sub` a trust policy
 * has to match). Never print the token itself.
 */
export function tokenClaims(token: string): TokenClaims {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    return {
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      aud: typeof claims.aud === 'string' || Array.isArray(claims.aud) ? (claims.aud as string | string[]) : undefined,
      iss: typeof claims.iss === 'string' ? claims.iss : undefined,
    };
  } catch {
    return {};
  }
}
