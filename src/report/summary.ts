import { databaseSection } from './database-section.js';
import { formatBytes, formatCount, formatSeconds } from './format.js';
import { imagesSection } from './images-section.js';
import type { RunReport } from './model.js';

const STATUS_ICON = { succeeded: '✅', failed: '❌', 'not-run': '⏭️' } as const;
const NOTE_ICON = { info: 'ℹ️', warning: '⚠️', error: '❌' } as const;

/** The job summary as Markdown: a pure function of the report, so it is testable without servers. */
export function renderSummary(report: RunReport): string {
  const lines: string[] = [];
  lines.push(`## ${headline(report)}`, '');
  const duration = report.finishedAt ? (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000 : undefined;
  lines.push(
    `**Target:** ${report.targetName} · **Source:** ${report.sourceName} · **Mode:** ${report.mode}` +
      `${report.dryRun ? ' (dry run)' : ''} · **Duration:** ${formatSeconds(duration)}`,
    '',
  );
  if (report.failure) {
    lines.push(`> **Failed at step “${report.failure.step}”:** ${report.failure.message}`);
    lines.push(`> ${report.targetName} is ${report.failure.targetState ?? targetStateAfterFailure(report)}.`, '');
  }
  lines.push(...environmentsTable(report), '');
  lines.push(...imagesSection(report));
  lines.push(...databaseSection(report));
  if (report.steps.length > 0) {
    lines.push(`### ${report.dryRun ? 'Plan' : 'Steps'}`, '', '| step | result | time | detail |', '|---|---|---:|---|');
    for (const step of report.steps) {
      const detail = step.status === 'failed' ? step.error : step.detail;
      lines.push(`| ${step.title} | ${STATUS_ICON[step.status]} ${step.status} | ${formatSeconds(step.seconds)} | ${cell(detail ?? '')} |`);
    }
    lines.push('');
  }
  if (report.notes.length > 0) {
    lines.push('### Notes', '');
    for (const note of report.notes) lines.push(`- ${NOTE_ICON[note.level]} ${note.text}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function headline(report: RunReport): string {
  if (report.outcome === 'failed') return `❌ Refresh of ${report.targetName} failed`;
  if (report.outcome === 'dry-run') return `🔍 Dry run: ${report.targetName} would be refreshed from ${report.sourceName} (nothing was changed)`;
  return `✅ ${report.targetName} refreshed from ${report.sourceName}`;
}

function targetStateAfterFailure(report: RunReport): string {
  const changed = report.steps.some((s) => s.id.startsWith('refresh-') && s.status !== 'not-run');
  return changed ? 'possibly partly refreshed: see the failed step' : 'unchanged (the run stopped before writing anything)';
}

function environmentsTable(report: RunReport): string[] {
  const db = report.database;
  const images = report.images;
  if (!db && !images) return [];
  const after = report.dryRun ? 'after (planned)' : 'after';
  const header = ['environment', 'role'];
  const rows: string[][] = [
    [report.sourceName, 'source'],
    [report.targetName, 'target'],
  ];
  if (db) {
    header.push(`${db.countTable} before`, `${db.countTable} ${after}`);
    const planned = report.dryRun ? db.sourceCount : db.targetCountAfter;
    rows[0]!.push(formatCount(db.sourceCount), formatCount(db.sourceCount));
    rows[1]!.push(formatCount(db.targetCountBefore), formatCount(planned));
  }
  if (images) {
    header.push('objects', 'bytes');
    rows[0]!.push(`${formatCount(images.sourceObjects)} (${formatCount(images.excludedObjects)} excluded)`, formatBytes(images.sourceBytes));
    rows[1]!.push(formatCount(images.targetObjects), formatBytes(images.targetBytes));
  }
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
