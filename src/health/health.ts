import type { HealthContract } from '../config/checks-options.js';
import type { EnvironmentHealth } from '../report/model.js';
import { httpRequest, NetworkError, requestWithRetries, TOTAL_TIMEOUT_MS, type HttpResponse, type RetryOptions } from './http.js';

/** An answer of a health path: its status and JSON body (undefined when not JSON), or why there is none. */
type Answer = { ok: true; status: number; body: unknown } | { ok: false; error: string };

/**
 * Reads both health paths of one environment (each retried on network errors and 5xx; one
 * request when both paths are the same) and judges it by the contract.
 */
export async function readHealth(apiUrl: string, contract: HealthContract, retry: RetryOptions = {}): Promise<EnvironmentHealth> {
  const json = contract.mode === 'json';
  const get = (path: string) => answerOf(`${apiUrl}${path}`, () => requestWithRetries(`${apiUrl}${path}`, {}, retry), json);
  const deep = get(contract.deepPath);
  const info = contract.infoPath === contract.deepPath ? deep : get(contract.infoPath);
  return judge(contract, await info, await deep);
}

/** The deep path only, one attempt bounded by `timeoutMs` (for polling, where the poll is the retry). */
export async function readDeepHealthOnce(apiUrl: string, contract: HealthContract, timeoutMs: number): Promise<EnvironmentHealth> {
  const url = `${apiUrl}${contract.deepPath}`;
  const deep = await answerOf(url, () => httpRequest(url, { totalTimeoutMs: Math.max(1_000, Math.min(TOTAL_TIMEOUT_MS, timeoutMs)) }), contract.mode === 'json');
  return judge(contract, undefined, deep);
}

/** `health/deep` from `/health/deep`: how messages name a path. */
const label = (path: string) => path.replace(/^\//, '') || '/';

/** The value at a dotted path (`data.build.sha`) of a JSON value; array items by index. */
export function valueAt(json: unknown, path: string): unknown {
  let value = json;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

function judge(contract: HealthContract, info: Answer | undefined, deep: Answer): EnvironmentHealth {
  const health: EnvironmentHealth = { checkedAt: new Date().toISOString(), reachable: false, healthy: false };
  const { fields } = contract;
  const json = contract.mode === 'json';
  // Identity: the info path first, then the deep path.
  const bodies = [info?.ok ? info.body : undefined, deep.ok ? deep.body : undefined];
  const identity = (path: string | undefined) => (path ? bodies.map((b) => text(valueAt(b, path))).find((v) => v !== undefined) : undefined);
  health.version = identity(fields.version);
  health.gitSha = identity(fields.gitSha);
  health.environment = identity('environment');
  const deepName = label(contract.deepPath);

  if (!deep.ok) {
    health.reachable = info?.ok ?? false;
    health.problem = `${deepName}: ${deep.error}`;
    return health;
  }
  health.reachable = true;
  if (!json) {
    if (deep.status < 200 || deep.status >= 300) health.problem = `${deepName}: HTTP ${deep.status} (\`health-mode: http-200\` needs a 2xx answer)`;
    health.healthy = !health.problem;
    return health;
  }
  if (deep.body === undefined || typeof deep.body !== 'object') {
    health.problem = `${deepName}: HTTP ${deep.status} (not JSON)`;
    return health;
  }
  health.status = text(valueAt(deep.body, 'status'));
  const statusValue = fields.status ? text(valueAt(deep.body, fields.status)) : undefined;
  const schemaValue = fields.schema ? valueAt(deep.body, fields.schema) : undefined;
  health.databaseStatus = statusValue;
  if (typeof schemaValue === 'boolean') health.schemaValidated = schemaValue;
  const count = fields.count ? valueAt(deep.body, fields.count) : undefined;
  if (typeof count === 'number' || (typeof count === 'string' && /^\d+$/.test(count))) health.bookCount = Number(count);

  if (fields.status) {
    // The `error` next to the status (e.g. `checks.database.error`) says why.
    const parent = fields.status.split('.').slice(0, -1).join('.');
    const error = text(valueAt(deep.body, parent ? `${parent}.error` : 'error'));
    const what = fields.status === 'checks.database.status' ? 'database check' : `\`${fields.status}\``;
    if (statusValue === undefined) health.problem = `${deepName} has no \`${fields.status}\``;
    else if (!contract.healthyValues.includes(statusValue)) health.problem = `${what} is ${statusValue}${error ? ` (${error})` : ''}`;
  } else if (deep.status >= 300) {
    health.problem = `${deepName}: HTTP ${deep.status}`;
  }
  if (!health.problem && fields.schema && schemaValue !== true) {
    health.problem = `database schema is not validated (\`${fields.schema}\` is ${schemaValue === undefined ? 'missing' : JSON.stringify(schemaValue)}, not true)`;
  }
  if (info?.ok && info.body === undefined) health.problem = [health.problem, `${label(contract.infoPath)}: HTTP ${info.status} (not JSON)`].filter(Boolean).join('; ');
  if (info && !info.ok) health.problem = [health.problem, `${label(contract.infoPath)}: ${info.error}`].filter(Boolean).join('; ');
  health.healthy = !health.problem;
  return health;
}

/**
 * An answer with its JSON body, or why there is none. Any status is an answer here; `judge`
 * decides. A 5xx whose body is JSON is kept: health endpoints often answer 503 with the report
 * that explains the failure. Other non-2xx answers are failures that name the status.
 */
async function answerOf(url: string, request: () => Promise<HttpResponse>, wantsJson: boolean): Promise<Answer> {
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
  if (response.status < 300) return { ok: true, status: response.status, body: isObject ? body : undefined };
  if (isObject && response.status >= 500 && 'status' in (body as object)) return { ok: true, status: response.status, body };
  return { ok: false, error: `HTTP ${response.status}${isObject || !wantsJson ? '' : ' (not JSON)'} from ${new URL(url).pathname}` };
}
