import { formatBytes, formatCount, formatSeconds, tableCell } from './format.js';
import { identityRemapLine } from './identity-remap.js';
import type { RunReport, TableReport } from './model.js';

const ACTION_WORDS = {
  dry: { copy: 'would be replaced', keep: 'left as is', skip: 'skipped' },
  real: { copy: 'replaced', keep: 'left as is', skip: 'skipped' },
} as const;

/** The "Database" part of the job summary (Markdown lines; empty when the run has no database part). */
export function databaseSection(report: RunReport): string[] {
  const db = report.database;
  if (!db || (!db.method && !db.tables)) return [];
  const lines: string[] = ['### Database', ''];
  const facts: string[] = [];
  if (db.method) facts.push(`**Method:** ${db.method}`);
  if (db.tablesCopied !== undefined) facts.push(`**Tables refreshed:** ${formatCount(db.tablesCopied)}`);
  if (db.rowsCopied !== undefined) facts.push(`**Rows:** ${formatCount(db.rowsCopied)}`);
  if (db.bytesCopied !== undefined) facts.push(`**Data:** ${formatBytes(db.bytesCopied)}`);
  if (db.seconds !== undefined && db.tablesCopied !== undefined) {
    facts.push(`**Time:** ${formatSeconds(db.seconds)}`);
    if (db.bytesCopied && db.seconds > 0) facts.push(`**Rate:** ${formatBytes(db.bytesCopied / db.seconds)}/s`);
  }
  if (facts.length > 0) lines.push(facts.join(' · '), '');
  if (db.foreignKeys) lines.push(`Foreign keys: ${db.foreignKeys}.`, '');
  const masked = (db.tables ?? []).filter((t) => t.masked?.length);
  if (masked.length > 0) {
    lines.push(`**${report.dryRun ? 'Would be masked' : 'Masked'} in ${report.sourceName}'s query** (values never left it):`, '');
    for (const t of masked) lines.push(`- \`${t.table}\`: ${t.masked!.join(', ')}`);
    lines.push('');
  }
  if (db.identity) lines.push(`**Identity remap:** ${identityRemapLine(db.identity, report.targetName)}`, '');
  for (const warning of db.warnings ?? []) lines.push(`- ⚠️ ${warning}`);
  if (db.warnings?.length) lines.push('');
  if (db.tables?.length) lines.push(...tableDetails(report, db.tables), '');
  return lines;
}

function tableDetails(report: RunReport, tables: TableReport[]): string[] {
  const words = report.dryRun ? ACTION_WORDS.dry : ACTION_WORDS.real;
  const copied = tables.filter((t) => t.action === 'copy').length;
  const lines = [
    '<details>',
    `<summary>Per table: ${copied} ${report.dryRun ? 'to replace' : 'replaced'}, ${tables.length - copied} not copied</summary>`,
    '',
  ];
  if (report.dryRun) {
    lines.push(`| table | ${report.sourceName} rows | ${report.targetName} rows now | what would happen | column differences |`, '|---|---:|---:|---|---|');
    for (const t of tables) {
      lines.push(`| \`${t.table}\` | ${formatCount(t.sourceRows)} | ${formatCount(t.targetRowsBefore)} | ${tableCell(t.action === 'copy' ? `${words.copy}${t.format ? ` (${t.format} COPY)` : ''}` : (t.reason ?? words[t.action]))} | ${tableCell((t.columnDifferences ?? []).join('; '))} |`);
    }
  } else {
    lines.push('| table | result | rows | size | time | format | notes |', '|---|---|---:|---:|---:|---|---|');
    for (const t of tables) {
      const notes = [t.action === 'copy' ? undefined : t.reason, ...(t.columnDifferences ?? [])].filter(Boolean).join('; ');
      const copiedRow = t.action === 'copy';
      lines.push(
        `| \`${t.table}\` | ${words[t.action]} | ${copiedRow ? formatCount(t.rowsCopied) : ''} | ${copiedRow && t.bytes !== undefined ? formatBytes(t.bytes) : ''} | ` +
          `${copiedRow && t.seconds !== undefined ? formatSeconds(t.seconds) : ''} | ${t.format ?? ''} | ${tableCell(notes)} |`,
      );
    }
  }
  lines.push('', '</details>');
  return lines;
}
