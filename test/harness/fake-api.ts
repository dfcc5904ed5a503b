import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/**
 * Local HTTP servers standing in for services the action calls but tests cannot reach: an
 * app's health API (`/health/info`, `/health/deep`, a cache-flush endpoint) and GitHub's
 * "compare two commits" endpoint. They speak real HTTP with the real field names, so the
 * action's own client code runs unchanged.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Server {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * How a server stalls: `no-answer` reads the request and never answers; `mid-body` sends the
 * status, the headers and half the body, then nothing more.
 */
export type HangMode = 'no-answer' | 'mid-body';

type Answer = { status: number; body?: unknown } | { hang: HangMode };
type Handler = (req: RecordedRequest) => Promise<Answer> | Answer;

async function serve(handler: Handler): Promise<Server> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      try {
        const answer = await handler(recorded);
        if ('hang' in answer) {
          // The connection stays open until the client gives up (or the server closes).
          if (answer.hang === 'mid-body') res.writeHead(200, { 'content-type': 'application/json', 'content-length': '64' }).write('{"status": "healthy", "checks":');
          return;
        }
        if (answer.status === 0) {
          // Drop the connection without an answer: a network error for the client.
          req.socket.destroy();
          return;
        }
        const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What `health/deep`'s database check says; `book_count` is read live from `bookCountFrom` when given. */
export interface DatabaseCheck {
  status: 'healthy' | 'unhealthy';
  schema_validated: boolean;
  book_count?: number;
  error?: string;
}

export interface AppState {
  service: string;
  environment: string;
  /** e.g. `2026.01.11-d688bcd`. */
  version: string;
  git_sha: string;
  /** Overall `health/deep` status. */
  status: 'healthy' | 'degraded' | 'unhealthy';
  database: DatabaseCheck;
  /** Count `books` in this database for `book_count` on every request (reflects a refresh). */
  bookCountFrom?: string;
  /** The next N requests (to `path`, or any) get this answer instead: e.g. 503, or 0 to drop the connection. */
  failNext: { count: number; status: number; path?: string };
  /** Answers for the next `health/deep` requests, in order (then `database`/`status` again). */
  deepSequence: Partial<Pick<AppState, 'status' | 'database'>>[];
  /** Answer of the cache-flush endpoint (`POST /admin/cache/flush`). */
  cacheFlushStatus: number;
  cacheFlushToken?: string;
  /** Requests (to `path`, or any) are accepted and then stall, until the test clears this. */
  hang?: { mode: HangMode; path?: string };
}

export interface FakeApp extends Server {
  state: AppState;
  /** Requests to `health/deep`, `health/info`, the flush endpoint. */
  count(path: string): number;
  cacheFlushUrl: string;
}

export async function startFakeApp(init: Partial<AppState> & Pick<AppState, 'environment' | 'version' | 'git_sha'>): Promise<FakeApp> {
  const state: AppState = {
    service: 'bookshelf-api',
    status: 'healthy',
    database: { status: 'healthy', schema_validated: true },
    failNext: { count: 0, status: 503 },
    deepSequence: [],
    cacheFlushStatus: 204,
    ...init,
  };
  const server = await serve(async (req) => {
    const path = req.path.split('?')[0];
    if (state.hang && (!state.hang.path || state.hang.path === path)) return { hang: state.hang.mode };
    if (state.failNext.count > 0 && (!state.failNext.path || state.failNext.path === path)) {
      state.failNext.count--;
      return { status: state.failNext.status, body: state.failNext.status ? { message: 'upstream unavailable' } : undefined };
    }
    if (req.method === 'GET' && path === '/health/info') {
      return {
        status: 200,
        body: {
          service: state.service,
          version: state.version,
          environment: state.environment,
          git_sha: state.git_sha,
          deployed_at: '2026-01-11T09:12:00Z',
          region: 'us-west-2',
          features: { dashboard: true },
          endpoints: { health: '/health', api: '/api/v1' },
        },
      };
    }
    if (req.method === 'GET' && path === '/health/deep') {
      const step = state.deepSequence.shift() ?? {};
      const database = { ...(step.database ?? state.database) };
      const status = step.status ?? state.status;
      if (database.status === 'healthy' && state.bookCountFrom) database.book_count = await countBooks(state.bookCountFrom);
      if (database.status !== 'healthy') delete database.book_count;
      return {
        status: status === 'unhealthy' ? 503 : 200,
        body: {
          status,
          timestamp: new Date().toISOString(),
          version: state.version,
          environment: state.environment,
          total_latency_ms: 12.3,
          checks: { database: { latency_ms: 3.1, ...database }, s3: { status: 'healthy' }, redis: { status: 'skipped' } },
        },
      };
    }
    if (req.method === 'POST' && path === '/admin/cache/flush') {
      if (state.cacheFlushToken && req.headers.authorization !== `Bearer ${state.cacheFlushToken}`) return { status: 401, body: { error: 'unauthorized' } };
      return { status: state.cacheFlushStatus, body: state.cacheFlushStatus < 300 ? undefined : { error: 'redis: connection refused' } };
    }
    return { status: 404, body: { error: 'not found' } };
  });
  return {
    ...server,
    state,
    cacheFlushUrl: `${server.url}/admin/cache/flush`,
    count: (p) => server.requests.filter((r) => r.path.split('?')[0] === p).length,
  };
}

async function countBooks(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM books');
    return Number(rows[0]!.n);
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

/**
 * Two commits and their history since their merge base: `head` has `aheadBy` commits that
 * changed `files`; `base` has `behindBy` commits that changed `baseFiles` (none: `base` is the
 * merge base). The fake answers both `base...head` and `head...base`, as GitHub would.
 */
export interface FakeComparison {
  base: string;
  head: string;
  aheadBy: number;
  files: string[];
  behindBy?: number;
  baseFiles?: string[];
}

export interface FakeGitHub extends Server {
  /** Set GITHUB_API_URL to this. */
  apiUrl: string;
  /** Set to make every request stall (see HangMode), until cleared. */
  hang?: HangMode;
}

/** One side of a comparison: a commit and what changed on its line since the merge base. */
interface Line {
  sha: string;
  commits: number;
  files: string[];
}

/**
 * GitHub's REST API, the compare endpoint only. Answers like GitHub: 401 for a wrong token, 404
 * for a repository the token cannot see or an unknown commit. For `base...head`, `ahead_by`
 * counts head's commits since the merge base, `behind_by` base's, and `files` is the diff from
 * the merge base to head only: when head is behind base, `files` is empty.
 */
export async function startFakeGitHub(opts: { repository: string; token: string; comparisons: FakeComparison[] }): Promise<FakeGitHub> {
  const full = (sha: string) => sha.padEnd(40, '0').slice(0, 40);
  const server = await serve((req): Answer => {
    // Requests come after `github` is set (it is the object the test holds).
    if (github.hang) return { hang: github.hang };
    if (req.headers.authorization !== `Bearer ${opts.token}` && req.headers.authorization !== `token ${opts.token}`) {
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } };
    }
    const match = /^\/repos\/([^/]+\/[^/]+)\/compare\/([^.]+)\.\.\.([^/?]+)/.exec(req.path);
    const notFound = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/commits/commits#compare-two-commits', status: '404' } };
    if (!match || match[1] !== opts.repository) return notFound;
    const [baseSha, headSha] = [decodeURIComponent(match[2]!), decodeURIComponent(match[3]!)];
    let lines: { base: Line; head: Line; mergeBase: string } | undefined;
    for (const c of opts.comparisons) {
      const head: Line = { sha: c.head, commits: c.aheadBy, files: c.files };
      const base: Line = { sha: c.base, commits: c.behindBy ?? 0, files: c.baseFiles ?? [] };
      const mergeBase = base.commits === 0 ? c.base : `${c.base}${c.head}`.slice(0, 12);
      if (c.base === baseSha && c.head === headSha) lines = { base, head, mergeBase };
      else if (c.head === baseSha && c.base === headSha) lines = { base: head, head: base, mergeBase };
    }
    if (!lines) return notFound;
    const { base, head, mergeBase } = lines;
    return {
      status: 200,
      body: {
        url: `${server.url}/repos/${opts.repository}/compare/${baseSha}...${headSha}`,
        html_url: `https://github.com/${opts.repository}/compare/${baseSha}...${headSha}`,
        status: head.commits && base.commits ? 'diverged' : head.commits ? 'ahead' : base.commits ? 'behind' : 'identical',
        ahead_by: head.commits,
        behind_by: base.commits,
        total_commits: head.commits,
        base_commit: { sha: full(base.sha) },
        merge_base_commit: { sha: full(mergeBase) },
        commits: Array.from({ length: head.commits }, (_, i) => ({ sha: `${head.sha}${i}`.padStart(40, 'a'), commit: { message: `change ${i}` } })),
        files: head.files.map((filename) => ({ sha: 'f'.repeat(40), filename, status: 'modified', additions: 3, deletions: 1, changes: 4 })),
      },
    };
  });
  const github: FakeGitHub = { ...server, apiUrl: server.url };
  return github;
}

/** The original log's environments: production `2026.01.11-d688bcd`, staging `2026.01.11-588327b`. */
export const LOG_VERSIONS = {
  production: { version: '2026.01.11-d688bcd', git_sha: 'd688bcd' },
  staging: { version: '2026.01.11-588327b', git_sha: '588327b' },
} as const;

/** Production's and staging's APIs as in the original log, counting books live in the given databases. */
export async function startLogApps(opts: { productionDb?: string; stagingDb?: string; sameVersion?: boolean } = {}) {
  const [production, staging] = await Promise.all([
    startFakeApp({ environment: 'production', ...LOG_VERSIONS.production, bookCountFrom: opts.productionDb }),
    startFakeApp({ environment: 'staging', ...(opts.sameVersion ? LOG_VERSIONS.production : LOG_VERSIONS.staging), bookCountFrom: opts.stagingDb }),
  ]);
  return { production, staging, close: () => Promise.all([production.close(), staging.close()]) };
}

/**
 * An app whose health API is shaped differently from the first app's: whatever `routes` answer
 * (path → status and body, read on every request so a test can change it), 404 elsewhere.
 */
export interface RoutesApp extends Server {
  routes: Record<string, { status: number; body?: unknown }>;
  count(path: string): number;
}

export async function startRoutesApp(routes: RoutesApp['routes']): Promise<RoutesApp> {
  const server = await serve((req) => routes[req.path.split('?')[0]!] ?? { status: 404, body: { error: 'not found' } });
  return { ...server, routes, count: (p) => server.requests.filter((r) => r.path.split('?')[0] === p).length };
}
