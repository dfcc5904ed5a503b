import { decodeReportKey } from './manifest.js';

/** A failed task from a completion report: the object's key and why, in S3's words. */
export interface FailedTask {
  key: string;
  error: string;
}

/**
 * The report's manifest.json (`<prefix>/job-<id>/manifest.json`) lists result files by task
 * status; only failed ones matter (the job is created with ReportScope FailedTasksOnly).
 */
export function failedResultKeys(reportManifestJson: string): string[] {
  const parsed = JSON.parse(reportManifestJson) as { Results?: { TaskExecutionStatus?: string; Key?: string }[] };
  return (parsed.Results ?? []).filter((r) => r.TaskExecutionStatus === 'failed' && r.Key).map((r) => r.Key!);
}

/**
 * Rows of a result CSV (schema: Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode,
 * ResultMessage); fields may be quoted, quotes doubled.
 */
export function parseFailedTasks(csv: string): FailedTask[] {
  const failed: FailedTask[] = [];
  for (const row of parseCsv(csv)) {
    if (row.length < 4 || row[3]?.toLowerCase() !== 'failed') continue;
    const [, key = '', , , code = '', status = '', message = ''] = row;
    const why = [code, message].filter(Boolean).join(': ') || 'failed';
    failed.push({ key: decodeReportKey(key), error: `${why}${status ? ` (HTTP ${status})` : ''}` });
  }
  return failed;
}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}
