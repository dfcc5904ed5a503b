import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'vitest';

// Run only by temp-root.test.ts (its own vitest config): a test that forgets to clean up.
it('creates a temporary folder and never removes it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'p2s-forgotten-'));
  await writeFile(path.join(dir, 'report.json'), '{}');
});
