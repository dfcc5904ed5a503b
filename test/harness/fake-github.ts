import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the action made, as the GitHub API would have received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

export interface FakeGitHub {
  /** Base URL to give the action as GITHUB_API_URL. */
  url: string;
  requests: RecordedRequest[];
  /** Comments posted, by issue number. */
  comments: { issue: number; body: string }[];
  /** Reactions added, in order, as `commentId:content`. */
  reactions: string[];
  /** The role a user has on the repository (`role_name`); users not listed get a 404, like non-collaborators. */
  setRole(user: string, role: string): void;
  /** Makes every request to `path` answer `status` (e.g. 500), to test API failures. */
  failPath(path: string, status: number): void;
  /**
   * Makes every request to `path` stall: `no-answer` reads it and never answers, `mid-body` sends
   * the headers and half the body. The connection stays open until the client gives up.
   */
  hangPath(path: string, mode: 'no-answer' | 'mid-body'): void;
  reset(): void;
  close(): Promise<void>;
}

/** GitHub folds maintain into write and triage into read in the legacy `permission` field. */
const LEGACY_PERMISSION: Record<string, string> = { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read' };

/**
 * A local HTTP server speaking the slice of the GitHub REST API the comment trigger uses
 * (collaborator permission, issue-comment reactions, issue comments), recording every request.
 */
export async function startFakeGitHub(): Promise<FakeGitHub> {
  const roles = new Map<string, string>();
  const failures = new Map<string, number>();
  const hangs = new Map<string, 'no-answer' | 'mid-body'>();
  const requests: RecordedRequest[] = [];
  const comments: FakeGitHub['comments'] = [];
  const reactions: string[] = [];
  let nextId = 9000;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const text = await readBody(req);
    const body = text ? JSON.parse(text) : undefined;
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    };
    const hang = hangs.get(path);
    if (hang === 'mid-body') res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '64' }).write('{"permission": "admin",');
    if (hang) return;
    const failure = failures.get(path);
    if (failure) return send(failure, { message: 'Server Error' });

    let match: RegExpExecArray | null;
    if (req.method === 'GET' && (match = /^\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)\/permission$/.exec(path))) {
      const user = decodeURIComponent(match[3]!);
      const role = roles.get(user);
      if (!role) return send(404, { message: `${user} is not a user`, documentation_url: 'https://docs.github.com/rest' });
      return send(200, { permission: LEGACY_PERMISSION[role] ?? 'read', role_name: role, user: { login: user } });
    }
    if (req.method === 'POST' && (match = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/.exec(path))) {
      reactions.push(`${match[3]}:${(body as { content: string }).content}`);
      return send(201, { id: nextId++, content: (body as { content: string }).content });
    }
    if (req.method === 'POST' && (match = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
      const id = nextId++;
      comments.push({ issue: Number(match[3]), body: (body as { body: string }).body });
      return send(201, { id, body: (body as { body: string }).body, html_url: `https://github.com/${match[1]}/${match[2]}/pull/${match[3]}#issuecomment-${id}` });
    }
    send(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    comments,
    reactions,
    setRole: (user, role) => void roles.set(user, role),
    failPath: (path, status) => void failures.set(path, status),
    hangPath: (path, mode) => void hangs.set(path, mode),
    reset() {
      requests.length = 0;
      comments.length = 0;
      reactions.length = 0;
      failures.clear();
      hangs.clear();
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}
