import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { commandSyntax, parseCommand, quote } from '../../src/trigger/command.js';
import { decideComment, type IssueCommentPayload } from '../../src/trigger/event.js';
import { commentInputs } from '../../src/trigger/start.js';

const settings = { command: '/refresh-staging', targetName: 'staging', sourceName: 'production' };

describe('parseCommand', () => {
  it('reads the target (the confirmation), a mode and --dry-run from the first line only', () => {
    expect(parseCommand('/refresh-staging staging db-only', settings)).toEqual({
      kind: 'command',
      request: { mode: 'db-only', targetNamed: true, dryRun: false },
    });
    expect(parseCommand('/refresh-staging', settings)).toEqual({ kind: 'command', request: { mode: undefined, targetNamed: false, dryRun: true } });
    expect(parseCommand('/refresh-staging images-only staging --dry-run', settings)).toEqual({
      kind: 'command',
      request: { mode: 'images-only', targetNamed: true, dryRun: true },
    });
    expect(parseCommand('  /refresh-staging   full\r\nstaging', settings)).toEqual({
      kind: 'command',
      request: { mode: 'full', targetNamed: false, dryRun: true },
    });
  });

  it('reads only the first line, whatever ends it: a target on a second line is no confirmation', () => {
    const breaks = { LF: '\n', CRLF: '\r\n', CR: '\r', 'U+2028': '\u2028', 'U+2029': '\u2029', VT: '\v', FF: '\f', NEL: '\u0085' };
    for (const [name, lineBreak] of Object.entries(breaks)) {
      expect(parseCommand(`/refresh-staging${lineBreak}staging`, settings), name).toEqual({
        kind: 'command',
        request: { mode: undefined, targetNamed: false, dryRun: true },
      });
      expect(parseCommand(`/refresh-staging db-only --dry-run${lineBreak}staging`, settings), name).toEqual({
        kind: 'command',
        request: { mode: 'db-only', targetNamed: false, dryRun: true },
      });
      expect(parseCommand(`LGTM${lineBreak}/refresh-staging staging`, settings), name).toEqual({ kind: 'not-a-command' });
    }
    // Spaces inside the line (tabs, no-break spaces) still separate words.
    expect(parseCommand('/refresh-staging\tstaging\u00a0db-only', settings)).toEqual({
      kind: 'command',
      request: { mode: 'db-only', targetNamed: true, dryRun: false },
    });
  });

  it('quotes without any line break', () => {
    expect(quote('a\u2028b\u2029c\rd\u0085e')).toBe('`abcde`');
  });

  it('ignores comments that do not start with the command', () => {
    for (const body of ['', 'please /refresh-staging staging', '/refresh-stagingstaging', '> /refresh-staging staging', 'LGTM\n/refresh-staging staging']) {
      expect(parseCommand(body, settings)).toEqual({ kind: 'not-a-command' });
    }
  });

  it('names every problem of a malformed command', () => {
    const result = parseCommand('/refresh-staging production everything --force db-only full Staging', settings);
    expect(result.kind === 'invalid' && result.problems).toEqual([
      '`production` is the source this workflow copies from; the target it overwrites is `staging`.',
      "`everything` is neither this workflow's target (`staging`) nor a mode (`full`, `db-only`, `images-only`).",
      'unknown flag `--force`: the only flag is `--dry-run`.',
      'two modes, `db-only` and `full`: name at most one.',
      "`Staging` is not exactly the target's name: type `staging`.",
    ]);
  });

  it('quotes untrusted words so they cannot break out of a code span or mention anyone', () => {
    expect(quote('a`b\n@team')).toBe('`ab@team`');
    expect(quote('x'.repeat(60))).toBe('`' + 'x'.repeat(40) + '…`');
    const result = parseCommand('/refresh-staging `@acme/everyone`', settings);
    expect(result.kind === 'invalid' && result.problems[0]).toMatch(/^`@acme\/everyone` is neither/);
  });

  it('shows the syntax with the target and modes', () => {
    expect(commandSyntax(settings)).toBe('/refresh-staging [staging] [full|db-only|images-only] [--dry-run]');
  });
});

const payload = (over: Partial<IssueCommentPayload> = {}): IssueCommentPayload => ({
  action: 'created',
  issue: { number: 7, pull_request: {} },
  comment: { id: 99, body: '/refresh-staging staging', user: { login: 'maya', type: 'User' } },
  repository: { full_name: 'acme/bookshelf' },
  ...over,
});

describe('decideComment', () => {
  it('accepts a new comment by a person on a pull request', () => {
    expect(decideComment(payload(), settings)).toEqual({
      kind: 'command',
      comment: { owner: 'acme', repo: 'bookshelf', issueNumber: 7, commentId: 99, author: 'maya' },
      request: { mode: undefined, targetNamed: true, dryRun: false },
    });
  });

  it('skips edits, deletions, bots and plain issues', () => {
    const skipped = (p: IssueCommentPayload) => decideComment(p, settings).kind;
    expect(skipped(payload({ action: 'edited' }))).toBe('skip');
    expect(skipped(payload({ action: 'deleted' }))).toBe('skip');
    expect(skipped(payload({ issue: { number: 7 } }))).toBe('skip');
    expect(skipped(payload({ comment: { id: 99, body: '/refresh-staging staging', user: { login: 'dependabot[bot]', type: 'Bot' } } }))).toBe('skip');
    expect(skipped(payload({ comment: { id: 99, body: '/refresh-staging staging', user: { login: 'ci-bot[bot]' } } }))).toBe('skip');
  });

  it('falls back to GITHUB_REPOSITORY when the payload lacks the repository', () => {
    const decision = decideComment(payload({ repository: undefined }), settings, 'acme/other');
    expect(decision.kind === 'command' && decision.comment.repo).toBe('other');
  });
});

describe('commentInputs', () => {
  const workflow: Record<string, string> = {
    mode: 'full',
    'dry-run': 'false',
    confirm: 'staging',
    'source-database-url': 'postgresql://u:p@prod/app',
    'target-database-url': 'postgresql://u:p@staging/app',
    'source-bucket': 'prod-images',
    'target-bucket': 'staging-images',
  };
  const read = (name: string) => workflow[name] ?? '';

  it('lets the comment alone decide: without the target name the run is a dry run, whatever the workflow says', () => {
    const result = buildConfig(commentInputs(read, { targetNamed: false, dryRun: true }, 'staging'));
    expect(result.ok && [result.config.dryRun, result.config.mode]).toEqual([true, 'full']);
  });

  it('turns the named target into the confirmation and applies the mode', () => {
    const result = buildConfig(commentInputs(read, { targetNamed: true, dryRun: false, mode: 'db-only' }, 'staging'));
    expect(result.ok && [result.config.dryRun, result.config.mode]).toEqual([false, 'db-only']);
  });
});
