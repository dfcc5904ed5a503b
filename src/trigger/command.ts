import { MODES, type Mode } from '../config/config.js';

/** What the comment command needs to know about this workflow. */
export interface CommandSettings {
  command: string;
  targetName: string;
  sourceName: string;
}

/** What a comment asks for, once its first line has been read. */
export type CommandParse =
  | { kind: 'not-a-command' }
  | { kind: 'invalid'; problems: string[] }
  | { kind: 'command'; request: RefreshRequest };

export interface RefreshRequest {
  /** The mode named in the comment; absent means the workflow's own `mode`. */
  mode?: Mode;
  /** True unless the comment named the target (the confirmation) and did not ask for `--dry-run`. */
  dryRun: boolean;
  /** The comment named the target: what makes a real run possible. */
  targetNamed: boolean;
}

const FLAGS = ['--dry-run'] as const;

/**
 * Everything that can end a line when a comment is shown: CRLF, LF, CR, and the Unicode line
 * breaks (VT, FF, NEL, LINE and PARAGRAPH SEPARATOR). Word splitting (`\s`) treats most of them as
 * spaces, so a target named on what a reader sees as the second line would otherwise confirm.
 */
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;
const LINE_BREAKS = new RegExp(LINE_BREAK.source, 'g');

/** `/refresh-staging [target-name] [mode] [--dry-run]`, for replies and README. */
export function commandSyntax(settings: Pick<CommandSettings, 'command' | 'targetName'>): string {
  return `${settings.command} [${settings.targetName}] [${MODES.join('|')}] [--dry-run]`;
}

/**
 * Reads a comment's first line as a refresh command. Only the first line counts, so a command
 * quoted further down a discussion never triggers anything, and a line ends at any line break a
 * reader would see (`LINE_BREAK`). Words may come in any order.
 */
export function parseCommand(body: string, settings: CommandSettings): CommandParse {
  const firstLine = body.split(LINE_BREAK, 1)[0] ?? '';
  const [word, ...args] = firstLine.trim().split(/\s+/);
  if (word !== settings.command) return { kind: 'not-a-command' };

  const problems: string[] = [];
  let mode: Mode | undefined;
  let targetNamed = false;
  let dryRunFlag = false;
  for (const arg of args) {
    const shown = quote(arg);
    if (arg.startsWith('-')) {
      if (arg === '--dry-run') {
        dryRunFlag = true;
      } else {
        problems.push(`unknown flag ${shown}: the only flag is ${FLAGS.map(quote).join(', ')}.`);
      }
    } else if ((MODES as readonly string[]).includes(arg)) {
      if (mode && mode !== arg) problems.push(`two modes, ${quote(mode)} and ${shown}: name at most one.`);
      mode = arg as Mode;
    } else if (arg === settings.targetName) {
      targetNamed = true;
    } else if (arg === settings.sourceName) {
      problems.push(`${shown} is the source this workflow copies from; the target it overwrites is ${quote(settings.targetName)}.`);
    } else if (arg.toLowerCase() === settings.targetName.toLowerCase()) {
      problems.push(`${shown} is not exactly the target's name: type ${quote(settings.targetName)}.`);
    } else {
      problems.push(
        `${shown} is neither this workflow's target (${quote(settings.targetName)}) nor a mode (${MODES.map(quote).join(', ')}).`,
      );
    }
  }
  if (problems.length > 0) return { kind: 'invalid', problems };
  return { kind: 'command', request: { mode, targetNamed, dryRun: dryRunFlag || !targetNamed } };
}

/**
 * Shows untrusted comment text inside a code span: no backticks to break out of it, no line
 * breaks, and short, so a reply can never be made to render or mention anything.
 */
export function quote(text: string): string {
  const clean = text.replace(LINE_BREAKS, '').replace(/`/g, '').slice(0, 40);
  return `\`${clean}${text.length > 40 ? '…' : ''}\``;
}
