import type { RunReport } from './model.js';

export interface BookCounts {
  /** Where the figures come from: the databases (`count-table`) or the health API (`book_count`). */
  from: 'database' | 'health API';
  /** What is counted, e.g. `public.books` or `checks.database.book_count`. */
  label: string;
  source?: number;
  targetBefore?: number;
  targetAfter?: number;
}

/**
 * The headline counts: from the databases when the run read them, otherwise from the health
 * API's `checks.database.book_count`.
 */
export function bookCounts(report: RunReport): BookCounts | undefined {
  const db = report.database;
  if (db && (db.sourceCount !== undefined || db.targetCountBefore !== undefined || !report.health)) {
    return { from: 'database', label: db.countTable, source: db.sourceCount, targetBefore: db.targetCountBefore, targetAfter: db.targetCountAfter };
  }
  const h = report.health;
  if (h && [h.source, h.targetBefore, h.targetAfter].some((e) => e?.bookCount !== undefined)) {
    return {
      from: 'health API',
      label: 'checks.database.book_count',
      source: h.source?.bookCount,
      targetBefore: h.targetBefore?.bookCount,
      targetAfter: h.targetAfter?.bookCount,
    };
  }
  return db ? { from: 'database', label: db.countTable, source: db.sourceCount, targetBefore: db.targetCountBefore, targetAfter: db.targetCountAfter } : undefined;
}
