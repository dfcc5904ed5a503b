import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagedBinaries, PostgresUnavailable, startPostgres } from './postgres.js';

// As root, PostgreSQL runs as the 'postgres' account, which cannot traverse a private folder such
// as /root (mode 700): a clone there used to crash `npm test` and `npm run demo` with
// `spawn …/initdb EACCES`. Here the binaries are installed in such a folder.
describe.runIf(process.getuid?.() === 0)('the local PostgreSQL server, as root, with node_modules in a private folder', () => {
  let privateDir: string;
  let privateBinaries: string;

  beforeAll(async () => {
    privateDir = await mkdtemp(path.join(tmpdir(), 'p2s-private-')); // mode 700, like /root
    privateBinaries = path.join(privateDir, 'native');
    await cp(await packagedBinaries(), privateBinaries, { recursive: true, verbatimSymlinks: true });
  });
  afterAll(async () => {
    await rm(privateDir, { recursive: true, force: true });
  });

  it('starts, serves queries and leaves nothing behind when stopped', async () => {
    const server = await startPostgres({ binaries: privateBinaries });
    let dataDir = '';
    try {
      const url = await server.createDatabase('reachable');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ major: string; data: string; me: string }>(
          "SELECT current_setting('server_version_num')::int / 10000 AS major, current_setting('data_directory') AS data, current_user AS me",
        );
        expect(rows[0]!.major).toBe(15);
        expect(rows[0]!.me).toBe('postgres');
        dataDir = rows[0]!.data;
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
    await expect(stat(path.dirname(dataDir))).rejects.toThrow(/ENOENT/);
  });

  it('fails at once with one line saying what to do when no folder it could use is reachable', async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = privateDir; // the copy would land in the private folder too
    try {
      const error = await startPostgres({ binaries: privateBinaries }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PostgresUnavailable);
      const message = (error as Error).message;
      expect(message).toMatch(/^PostgreSQL must run as 'postgres' \(you are root\) but that account cannot enter .*: set TMPDIR to a folder every user can traverse/);
      expect(message).not.toContain('\n');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
