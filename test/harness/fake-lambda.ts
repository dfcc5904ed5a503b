/**
 * Runs a built Lambda bundle (e.g. dist/function/index.js) for one invocation in a real child
 * process (test/harness/lambda-runner.mjs), under the function's time limit: what the fake
 * Lambda service (fake-aws.ts) does for functions given as a bundle.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The function's bundle under test: dist/function/index.js, or a private build (P2S_FUNCTION_ENTRY). */
export const FUNCTION_ENTRY = process.env.P2S_FUNCTION_ENTRY
  ? path.resolve(process.env.P2S_FUNCTION_ENTRY)
  : path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'function', 'index.js');

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lambda-runner.mjs');

export interface BundleFunction {
  /** The built handler file. */
  entry: string;
  /** The function's environment (Lambda sets no other variables here but PATH). */
  env: Record<string, string>;
  /** The function's configured timeout: the process is killed when it is reached. */
  timeoutMs: number;
  /** Stops the process as the time limit would, when a line of its log or stream matches (a limit reached at a chosen moment). */
  killWhen?: (line: string) => boolean;
}

export interface BundleRun {
  /** Text the handler streamed, in order. */
  chunks: string[];
  /** The returned value (buffered handlers). */
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  timedOut: boolean;
  log: string;
  /** Milliseconds since the start at which each chunk arrived. */
  chunkTimes: number[];
}

export function runBundle(fn: BundleFunction, eventText: string, onChunk?: (text: string) => void): Promise<BundleRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [RUNNER, fn.entry, String(fn.timeoutMs)], {
    env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...fn.env },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const run: BundleRun = { chunks: [], timedOut: false, log: '', chunkTimes: [] };
  const kill = () => {
    if (child.exitCode !== null || run.timedOut) return;
    run.timedOut = true;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(kill, fn.timeoutMs);
  const watch = (text: string) => {
    if (fn.killWhen && text.split('\n').some((line) => fn.killWhen!(line))) kill();
  };
  child.stdout!.on('data', (d: Buffer) => ((run.log += d), watch(d.toString())));
  child.stderr!.on('data', (d: Buffer) => ((run.log += d), watch(d.toString())));
  let pending = '';
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line || run.timedOut) continue;
      const item = JSON.parse(line) as { chunk?: string; result?: unknown; error?: BundleRun['error'] };
      if (item.chunk !== undefined) {
        run.chunks.push(item.chunk);
        run.chunkTimes.push(Date.now() - started);
        onChunk?.(item.chunk);
        watch(item.chunk);
      } else if ('result' in item) run.result = item.result;
      else if (item.error) run.error = item.error;
    }
  });
  child.stdin!.end(eventText);
  return new Promise((resolve) => {
    child.on('close', () => {
      clearTimeout(timer);
      resolve(run);
    });
  });
}
