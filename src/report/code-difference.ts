import { formatCount, plural } from './format.js';
import type { CodeDifference, CodeSide } from './model.js';

/**
 * The commits between two versions in one sentence, each side's migrations listed apart ("only
 * in production", "only in staging"): a migration only the target has matters as much as one
 * only the source has. `markdown` adds emphasis and links to GitHub (the summary); without it the
 * text suits the log and error messages.
 */
export function describeCodeDifference(code: CodeDifference, sourceName: string, targetName: string, markdown: boolean): string {
  if (!code.compared) return `not compared: ${code.reason}`;
  const sides = [
    { name: sourceName, side: code.sourceSide },
    { name: targetName, side: code.targetSide },
  ].filter((s): s is { name: string; side: CodeSide } => s.side !== undefined && s.side.commits > 0);
  const bold = (text: string) => (markdown ? `**${text}:**` : `${text}:`);

  const commits = commitsBetween(code, sourceName, targetName);
  // A side that could not be listed has no count to give; its problem is said below.
  const counted = sides.filter(({ side }) => !side.problem);
  const files = counted.map(({ name, side }, i) => `${i === 0 ? `${plural(side.filesChanged, 'file')} changed` : formatCount(side.filesChanged)} in ${name}`);
  if (sides.length === 0) files.push('no files changed');
  const perSide = sides.flatMap(({ name, side }) => {
    if (side.problem) return [`${name}'s changes could not be listed (${side.problem})`];
    if (side.migrationFiles.length > 0) return [`${bold(`migrations only in ${name}`)} ${side.migrationFiles.map((f) => `\`${f}\``).join(', ')}`];
    if (side.filesIncomplete) return [`no migrations among the first 300 files changed in ${name} (GitHub lists no more)`];
    return [];
  });
  const migrations = perSide.length > 0 ? perSide.join('; ') : 'no migrations between them';
  const links = markdown
    ? sides.filter(({ side }) => side.url).map(({ name, side }) => `[${name}'s changes](${side.url})`)
    : [];
  return `${[commits, ...files].join(', ')}${markdown ? ' —' : ','} ${migrations}${links.length ? ` (${links.join(', ')})` : ''}`;
}

function commitsBetween(code: CodeDifference, sourceName: string, targetName: string): string {
  const ahead = code.aheadBy ?? 0;
  const behind = code.behindBy ?? 0;
  if (ahead && behind) {
    return `${sourceName} and ${targetName} diverged: ${sourceName} has ${plural(ahead, 'commit')} ${targetName} lacks, ${targetName} has ${plural(behind, 'commit')} ${sourceName} lacks`;
  }
  if (ahead) return `${sourceName} is ${plural(ahead, 'commit')} ahead of ${targetName}`;
  if (behind) return `${targetName} is ${plural(behind, 'commit')} ahead of ${sourceName}`;
  return 'the same commit';
}
