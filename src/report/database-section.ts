import type { RunReport } from './model.js';

/** The "Database" part of the job summary (Markdown lines; empty when the run has no database part). */
export function databaseSection(report: RunReport): string[] {
  void report;
  return [];
}
