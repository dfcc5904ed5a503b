import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './run-action.js';

describe('temporary folders of the tests', () => {
  it('this test file runs in a folder of its own (the setup file of the main config)', () => {
    expect(path.basename(tmpdir())).toMatch(/^p2s-test-/);
  });

  it('are all gone after a test file that forgot to remove its own', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'p2s-outside-'));
    try {
      const vitest = path.join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
      const config = path.join(PROJECT_ROOT, 'test', 'harness', 'temp-probe', 'vitest.config.ts');
      await promisify(execFile)(process.execPath, [vitest, 'run', '--config', config], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TMPDIR: outside },
      });
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
