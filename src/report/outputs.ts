import type { RunReport } from './model.js';

/** The action's outputs; every name is always set, empty where it does not apply. */
export function toOutputs(report: RunReport): Record<string, string> {
  const text = (value: number | boolean | undefined): string => (value === undefined ? '' : String(value));
  const db = report.database;
  const images = report.images;
  return {
    status: report.outcome,
    'books-source': text(db?.sourceCount),
    'books-target-before': text(db?.targetCountBefore),
    'books-target-after': text(db?.targetCountAfter),
    'version-mismatch': text(report.versionMismatch),
    'objects-copied': text(images?.copiedObjects),
    'objects-skipped': text(images?.skippedObjects),
    'objects-excluded': text(images?.excludedObjects),
    'bytes-copied': text(images?.copiedBytes),
    'tables-copied': text(db?.tablesCopied),
    'rows-copied': text(db?.rowsCopied),
  };
}
