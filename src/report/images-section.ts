import { formatBytes, formatCount, formatSeconds } from './format.js';
import type { KeySample, RunReport } from './model.js';

/** The "Images" part of the job summary (Markdown lines; empty when the run has no images part). */
export function imagesSection(report: RunReport): string[] {
  const images = report.images;
  if (!images) return [];
  const { sourceName, targetName, dryRun } = report;
  const plan = images.plan;
  const lines: string[] = ['### Images', ''];
  const row = (label: string, objects: number | undefined, bytes: number | undefined) =>
    `| ${label} | ${formatCount(objects)} | ${bytes === undefined ? '—' : formatBytes(bytes)} |`;

  lines.push('| | objects | bytes |', '|---|---:|---:|');
  lines.push(row(`listed in ${sourceName} (source)`, images.sourceObjects, images.sourceBytes));
  lines.push(row(`listed in ${targetName} (target)`, images.targetObjects, images.targetBytes));
  if (dryRun && plan) {
    lines.push(row('would be copied', plan.copy.objects, plan.copy.bytes));
    lines.push(row('would be skipped (already identical)', plan.skip.objects, plan.skip.bytes));
    lines.push(row('excluded (never copied or deleted)', plan.exclude.objects, plan.exclude.bytes));
    lines.push(
      plan.deleteEnabled
        ? row(`would be deleted (only in ${targetName})`, plan.delete.objects, plan.delete.bytes)
        : row(`only in ${targetName}: kept (\`delete\` is off)`, plan.delete.objects, plan.delete.bytes),
    );
  } else {
    lines.push(row('copied', images.copiedObjects, images.copiedBytes));
    lines.push(row('skipped (already identical)', images.skippedObjects, plan?.skip.bytes));
    lines.push(row('excluded (never copied or deleted)', images.excludedObjects, images.excludedBytes));
    if (plan?.deleteEnabled) lines.push(row(`deleted (only in ${targetName})`, images.deletedObjects, images.deletedBytes));
    else if (plan && plan.delete.objects > 0) lines.push(row(`only in ${targetName}: kept (\`delete\` is off)`, plan.delete.objects, plan.delete.bytes));
    if (images.failedObjects) lines.push(row('**failed**', images.failedObjects, undefined));
  }
  lines.push('');
  if (images.exclusions) lines.push(exclusionsLine(images.exclusions), '');

  if (!dryRun && images.seconds !== undefined) {
    const seconds = Math.max(images.seconds, 0.001);
    const rate = `${formatBytes((images.copiedBytes ?? 0) / seconds)}/s, ${formatCount(Math.round((images.copiedObjects ?? 0) / seconds))} objects/s`;
    lines.push(
      `Copied in ${formatSeconds(images.seconds)} (${rate}) · method: ${images.copyMethod ?? '—'} · concurrency: ${images.concurrency ?? '—'}`,
      '',
    );
  }
  if (images.batchJob) {
    lines.push(`Copied by S3 Batch Operations job [\`${images.batchJob.id}\`](${images.batchJob.consoleUrl}) (${formatCount(images.batchJob.tasks)} tasks).`, '');
  }
  if (images.failures && images.failures.length > 0) {
    lines.push(
      ...details(
        `Failed: ${formatCount(images.failedObjects ?? images.failures.length)} objects`,
        images.failures.map((f) => `${code(f.key)}: ${f.error.replace(/\r?\n/g, ' ')}`),
        images.failedObjects ?? images.failures.length,
      ),
    );
  }
  if (dryRun && plan) {
    const block = (title: string, sample: KeySample) =>
      sample.objects > 0 ? details(`${title}: ${formatCount(sample.objects)} objects (${formatBytes(sample.bytes)})`, sample.keys.map(code), sample.objects) : [];
    lines.push(...block('Would copy', plan.copy));
    lines.push(...block('Would skip', plan.skip));
    lines.push(...block('Excluded', plan.exclude));
    lines.push(...block(plan.deleteEnabled ? 'Would delete' : `Only in ${targetName} (kept)`, plan.delete));
  }
  return lines;
}

/** Which exclusion patterns applied: an empty input silently meaning the defaults surprised people. */
export function exclusionsLine(exclusions: { patterns: string[]; defaults: boolean }): string {
  if (exclusions.patterns.length === 0) return 'Exclusions: none (`exclusions: none`): every object is copied.';
  const list = exclusions.patterns.map(code).join(' · ');
  return exclusions.defaults
    ? `Exclusions (the defaults): ${list} — \`exclusions: none\` copies everything.`
    : `Exclusions: ${list}`;
}

function details(summary: string, items: string[], total: number): string[] {
  const more = total > items.length ? [`- … and ${formatCount(total - items.length)} more`] : [];
  return ['<details>', `<summary>${summary}</summary>`, '', ...items.map((item) => `- ${item}`), ...more, '', '</details>', ''];
}

/** A key as inline code (a backtick inside would end the span). */
function code(key: string): string {
  return `\`${key.replace(/`/g, "'")}\``;
}
