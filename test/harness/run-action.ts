import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bundle under test: dist/index.js, or a private build (P2S_ACTION_ENTRY) when several people test at once. */
export const ACTION_ENTRY = process.env.P2S_ACTION_ENTRY
  ? path.resolve(process.env.P2S_ACTION_ENTRY)
  : path.join(PROJECT_ROOT, 'dist', 'index.js');

export interface ActionRun {
  exitCode: number;
  /** Everything the action printed (stdout and stderr, in order of arrival). */
  log: string;
  /** What a reader of the job log sees: the runner consumes `::add-mask::` commands, it does not show them. */
  visibleLog: string;
  /** The job summary written to GITHUB_STEP_SUMMARY. */
  summary: string;
  outputs: Record<string, string>;
}

/**
 * Runs the built action the way a GitHub runner does: inputs as INPUT_* variables, the
 * summary and outputs through GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files, and the exit code.
 */
export async function runAction(
  inputs: Record<string, string>,
  opts: { env?: Record<string, string>; entry?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(tmpdir(), 'p2s-run-'));
  const summaryFile = path.join(dir, 'summary.md');
  const outputFile = path.join(dir, 'output.txt');
  await writeFile(summaryFile, '');
  await writeFile(outputFile, '');
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('INPUT_') && !key.startsWith('GITHUB_') && !key.startsWith('AWS_')) env[key] = value;
  }
  Object.assign(env, {
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_OUTPUT: outputFile,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'acme/bookshelf',
    GITHUB_RUN_ID: '1234',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: dir,
    ...opts.env,
  });
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;

  const child = spawn(process.execPath, [opts.entry ?? ACTION_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // For tests that act on the process itself: kill -9 mid-run, or the signals a runner sends on cancel.
  opts.onSpawn?.(child);
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  clearTimeout(timer);
  const summary = await readFile(summaryFile, 'utf8');
  const outputs = parseOutputFile(await readFile(outputFile, 'utf8'));
  await rm(dir, { recursive: true, force: true });
  const visibleLog = log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  return { exitCode, log, visibleLog, summary, outputs };
}

/** Parses the `name<<delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    outputs[name!] = value.join('\n');
  }
  return outputs;
}
