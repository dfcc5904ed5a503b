import { formatBytes, formatCount } from '../report/format.js';

export interface ProgressState {
  objectsDone: number;
  objectsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  failed: number;
}

/** "1,200 of 5,010 objects, 120 MB of 443 MB (27%), 9.8 MB/s, about 33 s left" */
export function progressLine(state: ProgressState, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? state.bytesDone / seconds : 0;
  const objectRate = seconds > 0 ? state.objectsDone / seconds : 0;
  const percent = state.bytesTotal > 0 ? Math.floor((100 * state.bytesDone) / state.bytesTotal) : 100;
  // Many small objects are bound by requests, a few big ones by bytes: estimate with the slower.
  const leftByBytes = rate > 0 ? (state.bytesTotal - state.bytesDone) / rate : Infinity;
  const leftByObjects = objectRate > 0 ? (state.objectsTotal - state.objectsDone) / objectRate : Infinity;
  const left = Math.max(leftByBytes, leftByObjects);
  const eta = Number.isFinite(left) ? `about ${formatEta(left)} left` : 'time left unknown yet';
  return (
    `${formatCount(state.objectsDone)} of ${formatCount(state.objectsTotal)} objects, ` +
    `${formatBytes(state.bytesDone)} of ${formatBytes(state.bytesTotal)} (${percent}%), ` +
    `${formatBytes(rate)}/s, ${objectRate.toFixed(0)} objects/s, ${eta}` +
    (state.failed > 0 ? `, ${formatCount(state.failed)} failed so far` : '')
  );
}

function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Logs `progressLine` every `everyMs` until stopped. */
export function startProgress(state: ProgressState, log: (line: string) => void, everyMs = 5000): () => void {
  const started = performance.now();
  const timer = setInterval(() => log(progressLine(state, performance.now() - started)), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
