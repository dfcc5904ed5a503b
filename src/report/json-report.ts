import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bookCounts } from './book-counts.js';
import type { RunReport } from './model.js';
import { toOutputs } from './outputs.js';

/** Bumped when a field changes meaning or disappears; new fields do not bump it. */
export const JSON_REPORT_VERSION = 1;

/**
 * The same facts as the job summary, for later steps and the pull-request reply: the whole
 * report, plus the derived figures a reader would otherwise recompute (duration, book counts,
 * outputs).
 */
export function toJsonReport(report: RunReport): Record<string, unknown> {
  const durationSeconds = report.finishedAt ? (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000 : undefined;
  const { outcome, ...rest } = report;
  return {
    reportVersion: JSON_REPORT_VERSION,
    outcome,
    failedStep: report.failure?.step,
    durationSeconds,
    bookCounts: bookCounts(report),
    outputs: Object.fromEntries(Object.entries(toOutputs(report)).filter(([name]) => name !== 'report-file')),
    ...rest,
  };
}

/**
 * Writes the JSON report into a fresh folder under `dir` (the runner's temp folder), so two
 * runs in one job never overwrite each other. Every string is redacted before it is written.
 */
export async function writeJsonReport(report: RunReport, dir: string, redact: (text: string) => string): Promise<string> {
  const folder = await mkdtemp(path.join(dir, 'prod-to-staging-sync-'));
  const file = path.join(folder, 'report.json');
  const json = JSON.stringify(toJsonReport(report), (_key, value: unknown) => (typeof value === 'string' ? redact(value) : value), 2);
  await writeFile(file, `${json}\n`);
  return file;
}
