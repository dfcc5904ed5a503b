/** Everything a run found and did; the summary, the outputs and the JSON report derive from it. */
export interface RunReport {
  startedAt: string;
  finishedAt?: string;
  mode: string;
  dryRun: boolean;
  sourceName: string;
  targetName: string;
  outcome: 'synced' | 'dry-run' | 'failed';
  steps: StepReport[];
  database?: DatabaseReport;
  images?: ImagesReport;
  versionMismatch?: boolean;
  notes: Note[];
  failure?: { step: string; message: string; targetState?: string };
}

export interface StepReport {
  id: string;
  title: string;
  status: 'succeeded' | 'failed' | 'not-run';
  seconds?: number;
  /** One line saying what the step did (or would do, on a dry run). */
  detail?: string;
  error?: string;
}

export interface Note {
  level: 'info' | 'warning' | 'error';
  text: string;
}

export interface DatabaseReport {
  countTable: string;
  sourceCount?: number;
  targetCountBefore?: number;
  targetCountAfter?: number;
  tablesCopied?: number;
  rowsCopied?: number;
}

export interface ImagesReport {
  sourceObjects: number;
  sourceBytes: number;
  targetObjects: number;
  targetBytes: number;
  /** Source objects matched by `exclusions`. */
  excludedObjects: number;
  excludedBytes: number;
  /** Source objects not excluded: the ones the refresh is about. */
  candidateObjects: number;
  candidateBytes: number;
  copiedObjects?: number;
  copiedBytes?: number;
  skippedObjects?: number;
}

export function newReport(init: Pick<RunReport, 'mode' | 'dryRun' | 'sourceName' | 'targetName'>, startedAt = new Date()): RunReport {
  return { ...init, startedAt: startedAt.toISOString(), outcome: init.dryRun ? 'dry-run' : 'synced', steps: [], notes: [] };
}
