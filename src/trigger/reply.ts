import { formatBytes, formatCount } from '../report/format.js';
import type { RunReport } from '../report/model.js';
import { commandSyntax, quote, type CommandSettings, type RefreshRequest } from './command.js';

/** What every reply needs besides the report. */
export interface ReplyContext {
  settings: CommandSettings;
  author: string;
  /** Link to this workflow run, shown in every reply. */
  runUrl: string;
}

const runLink = (ctx: ReplyContext) => `[workflow run](${ctx.runUrl})`;

export function refusalReply(ctx: ReplyContext, permission: string, allowed: readonly string[], repository: string): string {
  return [
    `👎 @${ctx.author}, only people with ${orList(allowed)} access to ${repository} may run \`${ctx.settings.command}\`; ` +
      `your access is \`${permission}\`. Nothing was run.`,
    '',
    `Ask a maintainer to comment the command, or to run the workflow from the Actions tab. · ${runLink(ctx)}`,
  ].join('\n');
}

export function permissionCheckFailedReply(ctx: ReplyContext, reason: string): string {
  return `👎 @${ctx.author}, your permission on this repository could not be checked (${reason}), so nothing was run. · ${runLink(ctx)}`;
}

export function syntaxReply(ctx: ReplyContext, problems: string[]): string {
  const { command, targetName } = ctx.settings;
  return [
    `@${ctx.author}, nothing was run: the command could not be read.`,
    '',
    ...problems.map((p) => `- ${p}`),
    '',
    `Syntax: \`${commandSyntax(ctx.settings)}\``,
    '',
    `- \`${command} db-only\`: a dry run (nothing changes) of the database refresh`,
    `- \`${command} ${targetName}\`: refresh ${targetName} for real (naming the target is the confirmation)`,
    `- \`${command} ${targetName} images-only --dry-run\`: a dry run, even though the target is named`,
    '',
    runLink(ctx),
  ].join('\n');
}

/** The reply after a run: outcome, book counts, copy totals, version note, and how to confirm a dry run. */
export function resultReply(ctx: ReplyContext, report: RunReport, request: RefreshRequest): string {
  const { targetName, sourceName, command } = ctx.settings;
  const lines: string[] = [];
  if (report.outcome === 'failed') {
    lines.push(`### ❌ Refresh of ${targetName} failed`);
  } else if (report.outcome === 'dry-run') {
    lines.push(`### 🔍 Dry run: ${targetName} would be refreshed from ${sourceName} (nothing was changed)`);
  } else {
    lines.push(`### 🚀 ${targetName} refreshed from ${sourceName}`);
  }
  lines.push('', `Mode \`${report.mode}\` · requested by @${ctx.author} · ${runLink(ctx)}`, '');

  if (report.failure) {
    lines.push(`**Failed at step “${report.failure.step}”:** ${report.failure.message}`);
    if (report.failure.targetState) lines.push(`${targetName} is ${report.failure.targetState}.`);
    lines.push('');
  }

  const db = report.database;
  if (db) {
    const after = report.dryRun ? 'after (planned)' : 'after';
    const afterCount = report.dryRun ? db.sourceCount : db.targetCountAfter;
    lines.push(
      `| ${db.countTable} | ${sourceName} | ${targetName} before | ${targetName} ${after} |`,
      '|---|---:|---:|---:|',
      `| rows | ${formatCount(db.sourceCount)} | ${formatCount(db.targetCountBefore)} | ${formatCount(afterCount)} |`,
      '',
    );
    if (db.tablesCopied !== undefined || db.rowsCopied !== undefined) {
      lines.push(`Database: ${formatCount(db.tablesCopied)} tables, ${formatCount(db.rowsCopied)} rows copied.`);
    }
  }
  const images = report.images;
  if (images) {
    if (images.copiedObjects !== undefined) {
      lines.push(
        `Images: ${formatCount(images.copiedObjects)} objects copied (${formatBytes(images.copiedBytes)}), ` +
          `${formatCount(images.skippedObjects)} already identical, ${formatCount(images.excludedObjects)} excluded.`,
      );
    } else {
      lines.push(
        `Images: ${formatCount(images.candidateObjects)} objects (${formatBytes(images.candidateBytes)}) to compare, ` +
          `${formatCount(images.excludedObjects)} excluded; ${targetName} holds ${formatCount(images.targetObjects)}.`,
      );
    }
  }
  const versionNote = versionLine(report);
  if (versionNote) lines.push('', versionNote);

  if (report.outcome === 'dry-run') {
    const confirm = [command, targetName, request.mode].filter(Boolean).join(' ');
    lines.push('', `To refresh ${targetName} for real, comment \`${confirm}\` (naming the target is the confirmation).`);
  }
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd();
}

function versionLine(report: RunReport): string | undefined {
  const versions = report.versions;
  const mismatch = versions?.mismatch ?? report.versionMismatch;
  if (mismatch === undefined) return undefined;
  if (!mismatch) return `Versions: both environments run the same code${versions?.source.version ? ` (${quote(versions.source.version)})` : ''}.`;
  const name = (v: { version?: string; gitSha?: string } | undefined) => (v?.version ?? v?.gitSha ? quote(v.version ?? v.gitSha ?? '') : 'unknown');
  const detail = versions ? `: ${report.sourceName} runs ${name(versions.source)}, ${report.targetName} runs ${name(versions.target)}` : '';
  const migrations = versions?.code?.migrationFiles ?? [];
  const changes = migrations.length > 0 ? ` Migrations between them: ${migrations.slice(0, 5).map((file) => `\`${file.replace(/`/g, '')}\``).join(', ')}${migrations.length > 5 ? ', …' : ''}.` : '';
  return `⚠️ Version mismatch${detail}${versions?.decision ? ` — ${versions.decision}` : ''}.${changes}`;
}

function orList(items: readonly string[]): string {
  const shown = items.map((i) => `\`${i}\``);
  return shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}
