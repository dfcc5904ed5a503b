import { parseCommand, type CommandSettings, type RefreshRequest } from './command.js';

/** The parts of an `issue_comment` webhook payload the trigger reads. */
export interface IssueCommentPayload {
  action?: string;
  issue?: { number?: number; pull_request?: unknown };
  comment?: { id?: number; body?: string | null; user?: { login?: string; type?: string } | null };
  repository?: { full_name?: string };
}

/** Where the command came from: enough to check the commenter and to answer. */
export interface CommentRef {
  owner: string;
  repo: string;
  issueNumber: number;
  commentId: number;
  author: string;
}

export type CommentDecision =
  /** Nothing to do (not a command, an edit, a bot, not a pull request): no API call, status `skipped`. */
  | { kind: 'skip'; reason: string }
  | { kind: 'invalid'; comment: CommentRef; problems: string[] }
  | { kind: 'command'; comment: CommentRef; request: RefreshRequest };

/**
 * Decides what an `issue_comment` event asks for, from the payload alone. Only freshly created
 * comments on pull requests by people count: editing an old comment must not start a refresh,
 * and a bot (including this workflow's own replies) must never trigger one.
 */
export function decideComment(payload: IssueCommentPayload, settings: CommandSettings, fallbackRepository = ''): CommentDecision {
  const comment = payload.comment;
  const body = comment?.body ?? '';
  const parsed = parseCommand(body, settings);
  if (parsed.kind === 'not-a-command') return { kind: 'skip', reason: `the comment does not start with ${settings.command}` };
  if (payload.action !== 'created') return { kind: 'skip', reason: `the comment was ${payload.action ?? 'changed'}, not created (only new comments are read)` };
  if (!payload.issue?.pull_request) return { kind: 'skip', reason: 'the comment is on an issue, not a pull request' };
  const login = comment?.user?.login ?? '';
  if (comment?.user?.type === 'Bot' || login.endsWith('[bot]')) return { kind: 'skip', reason: `the comment is by a bot (${login})` };

  const [owner, repo] = (payload.repository?.full_name ?? fallbackRepository).split('/');
  const issueNumber = payload.issue.number;
  const commentId = comment?.id;
  if (!owner || !repo || !login || typeof issueNumber !== 'number' || typeof commentId !== 'number') {
    return { kind: 'skip', reason: 'the event payload lacks the repository, pull request, comment or author' };
  }
  const ref: CommentRef = { owner, repo, issueNumber, commentId, author: login };
  if (parsed.kind === 'invalid') return { kind: 'invalid', comment: ref, problems: parsed.problems };
  return { kind: 'command', comment: ref, request: parsed.request };
}
