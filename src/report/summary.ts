import { bookCounts } from './book-counts.js';
import { describeCodeDifference } from './code-difference.js';
import { databaseSection } from './database-section.js';
import { formatBytes, formatCount, formatSeconds, plural, tableCell } from './format.js';
import { imagesSection } from './images-section.js';
import type { CodeDifference, EnvironmentHealth, RunReport, SchemaDifference, VersionReport } from './model.js';

const STATUS_ICON = { succeeded: '✅', failed: '❌', 'not-run': '⏭️' } as const;
const NOTE_ICON = { info: 'ℹ️', warning: '⚠️', error: '❌' } as const;
const MODE_WORDS: Record<string, string> = { full: 'full (images and database)', 'db-only': 'db-only (database)', 'images-only': 'images-only (images)' };

/**
 * The job summary as Markdown: a pure function of the report, so it is testable without servers.
 * Order: what happened (headline, failure), the two environments side by side, what differs
 * between their versions, the images and database details, the steps, then notes.
 */
export function renderSummary(report: RunReport): string {
  const lines: string[] = [];
  lines.push(`## ${headline(report)}`, '');
  const duration = report.finishedAt ? (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000 : undefined;
  lines.push(
    `**Target:** ${report.targetName} · **Source:** ${report.sourceName} · **Mode:** ${MODE_WORDS[report.mode] ?? report.mode}` +
      `${report.dryRun ? ' · **Dry run**' : ''} · **Duration:** ${formatSeconds(duration)}`,
    '',
  );
  if (report.failure) {
    lines.push(`> **Failed at step “${report.failure.step}”:** ${quoted(report.failure.message)}`);
    lines.push('>', `> **${report.targetName} is ${report.failure.targetState ?? targetStateAfterFailure(report)}.**`);
    // A step's target state speaks for what that step touched; earlier writes still happened.
    const done = report.steps.filter((s) => s.id.startsWith('refresh-') && s.status === 'succeeded');
    if (done.length > 0) lines.push(`> Already done before the failure: ${done.map((s) => s.title).join('; ')}.`);
    lines.push('');
  }
  lines.push(...environmentsTable(report));
  lines.push(...versionSection(report));
  lines.push(...imagesSection(report));
  lines.push(...databaseSection(report));
  if (report.steps.length > 0) {
    lines.push(`### ${report.dryRun ? 'Plan' : 'Steps'}`, '', '| step | result | time | detail |', '|---|---|---:|---|');
    for (const step of report.steps) {
      const detail = step.status === 'failed' ? step.error : step.detail;
      lines.push(`| ${step.title} | ${STATUS_ICON[step.status]} ${step.status} | ${formatSeconds(step.seconds)} | ${tableCell(detail ?? '')} |`);
    }
    lines.push('');
  }
  const notes = notesOf(report);
  if (notes.length > 0) lines.push('### Notes', '', ...notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

export function headline(report: RunReport): string {
  const { targetName, sourceName } = report;
  if (report.outcome === 'failed') {
    const at = report.failure ? ` at step “${report.failure.step}”` : '';
    return report.dryRun ? `❌ Dry run of ${targetName}'s refresh failed${at}` : `❌ Refresh of ${targetName} failed${at}`;
  }
  if (report.outcome === 'dry-run') return `🔍 Dry run: ${targetName} would be refreshed from ${sourceName} (nothing was changed)`;
  return `✅ ${targetName} refreshed from ${sourceName}`;
}

function targetStateAfterFailure(report: RunReport): string {
  if (report.dryRun) return 'unchanged (a dry run writes nothing)';
  const changed = report.steps.some((s) => s.id.startsWith('refresh-') && s.status !== 'not-run');
  return changed ? 'possibly partly refreshed: see the failed step' : 'unchanged (the run stopped before writing anything)';
}

/** Both environments side by side; version and health columns appear when the APIs were read. */
function environmentsTable(report: RunReport): string[] {
  const books = bookCounts(report);
  const images = report.images;
  const health = report.health;
  if (!books && !images && !health) return [];
  const after = report.dryRun ? 'after (planned)' : 'after';
  const header = ['environment', 'role'];
  const rows: string[][] = [
    [report.sourceName, 'source'],
    [report.targetName, 'target'],
  ];
  if (health) {
    header.push('version', 'git SHA', 'health before', 'health after');
    const sides = [
      { before: health.source, after: undefined },
      { before: health.targetBefore, after: health.targetAfter },
    ];
    sides.forEach((side, i) => {
      const info = side.before ?? side.after;
      rows[i]!.push(info?.version ? `\`${info.version}\`` : '—', info?.gitSha ? `\`${info.gitSha}\`` : '—', healthCell(side.before), healthCell(side.after));
    });
  }
  if (books) {
    header.push(`${books.from === 'database' ? books.label : 'books'} before`, `${books.from === 'database' ? books.label : 'books'} ${after}`);
    // The source does not change; the target's planned figure is the source's count.
    const targetAfter = report.dryRun ? books.source : books.targetAfter;
    rows[0]!.push(formatCount(books.source), formatCount(books.source));
    rows[1]!.push(formatCount(books.targetBefore), formatCount(targetAfter));
  }
  if (images) {
    header.push('objects', 'bytes');
    rows[0]!.push(`${formatCount(images.sourceObjects)} (${formatCount(images.excludedObjects)} excluded)`, formatBytes(images.sourceBytes));
    rows[1]!.push(formatCount(images.targetObjects), formatBytes(images.targetBytes));
  }
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), ''];
  if (books) {
    lines.push(
      books.from === 'database'
        ? `Book counts: rows of \`${books.label}\` (\`count-table\`) in each database.`
        : `Book counts: \`${health?.countField ?? 'checks.database.book_count'}\` from each health API (no database URLs given).`,
      '',
    );
  }
  if (health?.contract) lines.push(`Health read: ${health.contract}`, '');
  return lines;
}

function healthCell(h: EnvironmentHealth | undefined): string {
  if (!h) return '—';
  if (!h.reachable) return '❌ unreachable';
  if (h.healthy) return h.status && h.status !== 'healthy' ? `⚠️ ${h.status} (database healthy)` : '✅ healthy';
  if (h.databaseStatus && h.databaseStatus !== 'healthy') return `❌ database ${h.databaseStatus}`;
  if (h.schemaValidated !== true && h.databaseStatus === 'healthy') return '❌ schema not validated';
  return `❌ ${h.status ?? 'unhealthy'}`;
}

/** "Is it safe?": what differs between the two versions, and what the run did about it. */
export function versionSection(report: RunReport): string[] {
  const v: VersionReport | undefined = report.versions;
  if (!v?.mismatch) return [];
  const { sourceName: s, targetName: t } = report;
  const version = (side: VersionReport['source']) =>
    `\`${side.version ?? side.gitSha}\`${side.version && side.gitSha && !side.version.endsWith(side.gitSha) ? ` (\`${side.gitSha}\`)` : ''}`;
  return [
    '### ⚠️ Version mismatch',
    '',
    `${s} runs ${version(v.source)}, ${t} runs ${version(v.target)}.`,
    '',
    `- **Code:** ${v.code ? codeLine(v.code, s, t) : 'not compared'}`,
    ...schemaLines(v.schema),
    `- **What the run did:** ${v.decision ? `${v.decision}.` : 'nothing yet (the run stopped earlier).'}`,
    '',
  ];
}

function codeLine(code: CodeDifference, s: string, t: string): string {
  return `${describeCodeDifference(code, s, t, true)}.`;
}

function schemaLines(schema: SchemaDifference | undefined): string[] {
  if (!schema) return ['- **Schema:** not compared'];
  if (!schema.compared) return [`- **Schema:** not compared: ${schema.reason}.`];
  const differences = schema.differences ?? [];
  if (differences.length === 0) return [`- **Schema:** schemas identical (${plural(schema.tablesCompared ?? 0, 'table')} compared).`];
  return [`- **Schema:** ${plural(differences.length, 'difference')}:`, ...differences.map((d) => `  - ${d}`)];
}

function notesOf(report: RunReport): string[] {
  const notes = report.notes.map((note) => `${NOTE_ICON[note.level]} ${note.text}`);
  const ranPastInputs = report.steps.length > 0;
  if (!report.health && ranPastInputs) {
    notes.push(`${NOTE_ICON.info} Health and version checks skipped: no \`source-api-url\` / \`target-api-url\` given.`);
  }
  const post = report.health?.postCheck;
  if (post?.healthy) {
    notes.push(`${NOTE_ICON.info} ${report.targetName} was healthy again after ${plural(post.attempts, 'check')} (${formatSeconds(post.seconds)}).`);
  }
  const cache = report.cache;
  if (cache?.flushed) {
    notes.push(`${NOTE_ICON.info} ${report.targetName}'s caches were flushed (HTTP ${cache.httpStatus} from ${cache.url}).`);
  } else if (cache && !cache.url) {
    const staleFor = cache.ttl ? `for up to ${cache.ttl}` : 'until their entries expire (set `cache-ttl` to say how long)';
    notes.push(`${NOTE_ICON.warning} ${report.targetName}'s caches were not flushed (no \`cache-flush-url\`): cached data may be stale ${staleFor}.`);
  }
  const notRun = report.steps.filter((s) => s.status === 'not-run');
  if (notRun.length > 0 && report.failure) {
    notes.push(`${NOTE_ICON.info} Not run because “${report.failure.step}” failed: ${notRun.map((s) => s.title).join('; ')}.`);
  }
  return notes;
}


function quoted(text: string): string {
  return text.replace(/\r?\n/g, '\n> ');
}
