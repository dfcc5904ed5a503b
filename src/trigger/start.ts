import * as core from '@actions/core';
import { buildConfig, type InputReader, type RunLabels } from '../config/config.js';
import { InputSource } from '../config/inputs.js';
import { parseNetworkOptions } from '../config/network-options.js';
import { parseTriggerOptions } from '../config/trigger-options.js';
import { newReport, type RunReport } from '../report/model.js';
import type { CommandSettings, RefreshRequest } from './command.js';
import { decideComment, type IssueCommentPayload } from './event.js';
import { NetworkError } from '../health/http.js';
import { createCommentApi } from './github.js';
import { permissionCheckFailedReply, refusalReply, resultReply, syntaxReply, type ReplyContext } from './reply.js';

/** An `issue_comment` event as main.ts read it from the runner's environment. */
export interface CommentEvent {
  payload: IssueCommentPayload;
  apiUrl: string;
  /** `owner/name` of the repository running the workflow (GITHUB_REPOSITORY). */
  repository: string;
  /** Link to this workflow run, for the replies. */
  runUrl: string;
}

type Finish = (report: RunReport, redact: (text: string) => string) => Promise<void>;

/** How a run starts: straight from its inputs, or as the answer to a pull-request comment. */
export type TriggerStart =
  /** Nothing to do (an unrelated, edited or bot comment): no API call was made. */
  | { kind: 'skipped'; reason: string; report: RunReport }
  /** The comment was answered with a refusal or the syntax; nothing may run. */
  | { kind: 'refused'; labels: RunLabels; failure: NonNullable<RunReport['failure']>; finish: Finish }
  /** Run with `readInput`; call `finish` with the report once published. */
  | { kind: 'run'; readInput: InputReader; finish: Finish };

const noFinish: Finish = async () => {};

/**
 * Decides whether and how to run. Outside `issue_comment` events the inputs are used as given.
 * For a comment, the commenter's permission is looked up before anything else is answered, and
 * the comment's mode/dry-run/confirmation replace those inputs, so the comment alone decides
 * whether staging is overwritten.
 */
export async function startTrigger(event: CommentEvent | undefined, readInput: InputReader): Promise<TriggerStart> {
  if (!event) return { kind: 'run', readInput, finish: noFinish };

  const options = parseTriggerOptions(new InputSource(readInput));
  const { labels } = buildConfig(readInput);
  const settings: CommandSettings = { command: options.command, targetName: labels.targetName, sourceName: labels.sourceName };
  const decision = decideComment(event.payload, settings, event.repository);
  if (decision.kind === 'skip') {
    const report = newReport(labels);
    report.outcome = 'skipped';
    return { kind: 'skipped', reason: decision.reason, report };
  }

  const { comment } = decision;
  const token = readInput('github-token');
  if (!token) {
    const message = `\`github-token\` is empty, so @${comment.author}'s permission cannot be checked; nothing was run. Give the workflow a token (the default is \`\${{ github.token }}\`).`;
    return { kind: 'refused', labels, failure: { step: 'check permission', message, targetState: 'unchanged (nothing was run)' }, finish: noFinish };
  }
  core.setSecret(token);
  const api = createCommentApi(token, event.apiUrl, comment, parseNetworkOptions(new InputSource(readInput)).requestTimeoutMs);
  const ctx: ReplyContext = { settings, author: comment.author, runUrl: event.runUrl };
  const repository = `${comment.owner}/${comment.repo}`;
  const refuse = async (step: string, message: string, reply: string): Promise<TriggerStart> => {
    await bestEffort('react 👎', () => api.react('-1'));
    await bestEffort('reply', () => api.reply(reply));
    return { kind: 'refused', labels, failure: { step, message, targetState: 'unchanged (nothing was run)' }, finish: noFinish };
  };

  let access: { role: string; permission: string };
  try {
    access = await api.permissionOf(comment.author);
  } catch (error) {
    const reason = errorText(error);
    return refuse('check permission', `could not look up @${comment.author}'s permission on ${repository}: ${reason}`, permissionCheckFailedReply(ctx, reason));
  }
  const allowed = options.allowedPermissions as readonly string[];
  if (!allowed.includes(access.role) && !allowed.includes(access.permission)) {
    return refuse(
      'check permission',
      `@${comment.author} has \`${access.role}\` access to ${repository}; only ${allowed.join(', ')} may run ${settings.command}. Nothing was run.`,
      refusalReply(ctx, access.role, allowed, repository),
    );
  }
  if (decision.kind === 'invalid') {
    return refuse('read the command', `the comment's command could not be read: ${decision.problems.join(' ')}`, syntaxReply(ctx, decision.problems));
  }

  const { request } = decision;
  core.info(`@${comment.author} (${access.role}) asked for ${describe(request, settings)}.`);
  await bestEffort('react 👀', () => api.react('eyes'));
  return {
    kind: 'run',
    readInput: commentInputs(readInput, request, labels.targetName),
    finish: async (report, redact) => {
      await bestEffort('reply', () => api.reply(redact(resultReply(ctx, report, request))));
      await bestEffort('react', () => api.react(report.outcome === 'failed' ? '-1' : 'rocket'));
    },
  };
}

/** The workflow's inputs, with mode, dry-run and confirm taken from the comment instead. */
export function commentInputs(readInput: InputReader, request: RefreshRequest, targetName: string): InputReader {
  const overrides: Record<string, string> = {
    'dry-run': String(request.dryRun),
    confirm: request.dryRun ? '' : targetName,
  };
  if (request.mode) overrides.mode = request.mode;
  return (name) => (Object.hasOwn(overrides, name) ? overrides[name]! : readInput(name));
}

function describe(request: RefreshRequest, settings: CommandSettings): string {
  const what = `${request.mode ? `a ${request.mode}` : 'a'} refresh of ${settings.targetName}`;
  return request.dryRun ? `a dry run of ${what}` : what;
}

/** Feedback must never turn a finished refresh into a failure: a failed call is a warning. */
async function bestEffort(what: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    core.warning(`Could not ${what} on the pull request: ${errorText(error)}`);
  }
}

function errorText(error: unknown): string {
  // Octokit reports a request that got no answer as status 500: say what happened instead.
  if ((error as { cause?: unknown }).cause instanceof NetworkError) return ((error as { cause: Error }).cause).message;
  const status = (error as { status?: number }).status;
  const message = error instanceof Error ? error.message : String(error);
  return status ? `HTTP ${status}: ${message}` : message;
}
