import { bookCounts } from './book-counts.js';
import type { RunReport } from './model.js';

/** The action's outputs; every name is always set, empty where it does not apply. */
export function toOutputs(report: RunReport, files: { reportFile?: string } = {}): Record<string, string> {
  const text = (value: number | boolean | undefined): string => (value === undefined ? '' : String(value));
  const db = report.database;
  const images = report.images;
  const books = bookCounts(report);
  return {
    status: report.outcome,
    'books-source': text(books?.source),
    'books-target-before': text(books?.targetBefore),
    'books-target-after': text(books?.targetAfter),
    'version-mismatch': text(report.versionMismatch),
    'objects-copied': text(images?.copiedObjects),
    'objects-skipped': text(images?.skippedObjects),
    'objects-excluded': text(images?.excludedObjects),
    'bytes-copied': text(images?.copiedBytes),
    'objects-deleted': text(images?.deletedObjects),
    'tables-copied': text(db?.tablesCopied),
    'rows-copied': text(db?.rowsCopied),
    'report-file': files.reportFile ?? '',
  };
}
