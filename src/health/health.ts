import type { EnvironmentHealth } from '../report/model.js';
import { httpRequest, NetworkError, requestWithRetries, TOTAL_TIMEOUT_MS, type HttpResponse, type RetryOptions } from './http.js';

/** The fields of `GET {api}/health/info` this action uses (see the app's health API). */
interface HealthInfo {
  version?: string;
  git_sha?: string;
  environment?: string;
}

/** The fields of `GET {api}/health/deep` this action uses. */
interface HealthDeep {
  status?: string;
  version?: string;
  environment?: string;
  checks?: { database?: { status?: string; book_count?: number; schema_validated?: boolean; error?: string } };
}

type Answer<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Reads both health endpoints of one environment (each retried on network errors and 5xx) and
 * judges it: healthy means the database check is `healthy` and `schema_validated` is true.
 */
export async function readHealth(apiUrl: string, retry: RetryOptions = {}): Promise<EnvironmentHealth> {
  const [info, deep] = await Promise.all([
    getJson<HealthInfo>(`${apiUrl}/health/info`, retry),
    getJson<HealthDeep>(`${apiUrl}/health/deep`, retry),
  ]);
  return judge(info, deep);
}

/** `health/deep` only, one attempt bounded by `timeoutMs` (for polling, where the poll is the retry). */
export async function readDeepHealthOnce(apiUrl: string, timeoutMs: number): Promise<EnvironmentHealth> {
  const deep = await answerOf<HealthDeep>(`${apiUrl}/health/deep`, () =>
    httpRequest(`${apiUrl}/health/deep`, { totalTimeoutMs: Math.max(1_000, Math.min(TOTAL_TIMEOUT_MS, timeoutMs)) }),
  );
  return judge(undefined, deep);
}

function judge(info: Answer<HealthInfo> | undefined, deep: Answer<HealthDeep>): EnvironmentHealth {
  const health: EnvironmentHealth = { checkedAt: new Date().toISOString(), reachable: false, healthy: false };
  if (info?.ok) {
    health.version = info.value.version;
    health.gitSha = info.value.git_sha;
    health.environment = info.value.environment;
  }
  if (!deep.ok) {
    health.reachable = info?.ok ?? false;
    health.problem = `health/deep: ${deep.error}`;
    return health;
  }
  health.reachable = true;
  const db = deep.value.checks?.database;
  health.status = deep.value.status;
  health.version ??= deep.value.version;
  health.environment ??= deep.value.environment;
  health.databaseStatus = db?.status;
  health.schemaValidated = db?.schema_validated;
  if (typeof db?.book_count === 'number') health.bookCount = db.book_count;
  if (!db) health.problem = 'health/deep has no database check';
  else if (db.status !== 'healthy') health.problem = `database check is ${db.status ?? 'missing'}${db.error ? ` (${db.error})` : ''}`;
  else if (db.schema_validated !== true) health.problem = 'database schema is not validated (schema_validated is not true)';
  if (info && !info.ok) health.problem = [health.problem, `health/info: ${info.error}`].filter(Boolean).join('; ');
  health.healthy = !health.problem;
  return health;
}

async function getJson<T>(url: string, retry: RetryOptions): Promise<Answer<T>> {
  return answerOf<T>(url, () => requestWithRetries(url, {}, retry));
}

/**
 * A JSON answer, or why there is none. A 5xx whose body is JSON still counts: health endpoints
 * often answer 503 with the report that explains the failure.
 */
async function answerOf<T>(url: string, request: () => Promise<HttpResponse>): Promise<Answer<T>> {
  let response: HttpResponse;
  try {
    response = await request();
  } catch (error) {
    const reason = error instanceof NetworkError ? error.message : (error as Error).message;
    return { ok: false, error: `unreachable (${reason})` };
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = undefined;
  }
  const isObject = typeof body === 'object' && body !== null;
  if (isObject && response.status < 300) return { ok: true, value: body as T };
  if (isObject && response.status >= 500 && 'status' in (body as object)) return { ok: true, value: body as T };
  return { ok: false, error: `HTTP ${response.status}${isObject ? '' : ' (not JSON)'} from ${new URL(url).pathname}` };
}
