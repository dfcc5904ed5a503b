import { getOctokit } from '@actions/github';
import { boundedFetch } from '../health/http.js';
import type { CommentRef } from './event.js';

export type Reaction = 'eyes' | 'rocket' | '-1';

/** The three GitHub calls the comment trigger makes, on the pull request the comment is on. */
export interface CommentApi {
  /** The commenter's role on the repository (`admin`, `maintain`, `write`, `triage`, `read`, a custom role, or `none`). */
  permissionOf(username: string): Promise<{ role: string; permission: string }>;
  react(content: Reaction): Promise<void>;
  reply(body: string): Promise<void>;
}

export function createCommentApi(token: string, apiUrl: string, comment: CommentRef, timeoutMs: number): CommentApi {
  // baseUrl explicitly: GitHub Enterprise (and the tests) serve the API somewhere else.
  const baseUrl = apiUrl.replace(/\/+$/, '');
  const octokit = getOctokit(token, { baseUrl, request: { fetch: boundedFetch(timeoutMs, `GitHub's API at ${baseUrl}`) } });
  const { owner, repo } = comment;
  return {
    async permissionOf(username) {
      try {
        const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
        // `permission` folds maintain into write and triage into read; `role_name` keeps them apart.
        return { role: data.role_name || data.permission, permission: data.permission };
      } catch (error) {
        if ((error as { status?: number }).status === 404) return { role: 'none', permission: 'none' };
        throw error;
      }
    },
    async react(content) {
      await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: comment.commentId, content });
    },
    async reply(body) {
      await octokit.rest.issues.createComment({ owner, repo, issue_number: comment.issueNumber, body });
    },
  };
}
