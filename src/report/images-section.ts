import type { RunReport } from './model.js';

/** The "Images" part of the job summary (Markdown lines; empty when the run has no images part). */
export function imagesSection(report: RunReport): string[] {
  void report;
  return [];
}
