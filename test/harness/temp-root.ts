import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * Setup file of every test file: its temporary folders (the tests' own, the action runs' RUNNER_TEMP
 * and reports, throw-away PostgreSQL servers) go into one folder of this test file, removed after
 * its last hook, so a test that forgets its cleanup — or fails before it — leaves nothing in /tmp.
 * `os.tmpdir()` reads TMPDIR on each call, and spawned processes inherit it.
 */
const root = mkdtempSync(path.join(tmpdir(), 'p2s-test-'));
// Traversable by the `postgres` account the harness runs servers as when we are root.
chmodSync(root, 0o755);
process.env.TMPDIR = root;

// Registered first, so it runs after every other afterAll of the file (hooks run as a stack).
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
