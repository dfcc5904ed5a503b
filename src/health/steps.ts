import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import { compareDatabaseSchemas } from '../db/schema-compare.js';
import { compareCommits } from '../github/compare.js';
import { StepError, errorMessage } from '../plan/runner.js';
import { describeCodeDifference } from '../report/code-difference.js';
import type { CacheReport, CodeDifference, EnvironmentHealth, SchemaDifference, VersionReport } from '../report/model.js';
import { readDeepHealthOnce, readHealth } from './health.js';
import { requestWithRetries, type RetryOptions } from './http.js';
import type { HealthContract } from '../config/checks-options.js';

/** Which paths and fields were read, for the summary (e.g. `GET /health/info + /health/deep (JSON): status \`checks.database.status\` ∈ healthy, …`). */
export function describeHealthContract(c: HealthContract): string {
  const paths = c.infoPath === c.deepPath ? `\`GET ${c.deepPath}\`` : `\`GET ${c.infoPath}\` and \`GET ${c.deepPath}\``;
  const field = (what: string, path: string | undefined) => (path ? `${what} \`${path}\`` : undefined);
  const identity = [field('version', c.fields.version), field('git SHA', c.fields.gitSha)].filter(Boolean).join(', ');
  if (c.mode === 'http-200') {
    return `${paths} (\`health-mode: http-200\`): healthy when \`${c.deepPath}\` answers HTTP 2xx${identity ? `; read ${identity} when the answers are JSON` : ''}.`;
  }
  const judged = [
    c.fields.status ? `\`${c.fields.status}\` is ${c.healthyValues.map((v) => `\`${v}\``).join(' or ')}` : `\`${c.deepPath}\` answers 2xx`,
    c.fields.schema ? `\`${c.fields.schema}\` is true` : undefined,
  ].filter(Boolean);
  const read = [identity, field('count', c.fields.count)].filter(Boolean).join(', ');
  return `${paths} (JSON): healthy when ${judged.join(' and ')}${read ? `; read ${read}` : ''}.`;
}

const UNCHANGED = 'unchanged (the run stopped before writing anything)';

const retryLog = (what: string): RetryOptions => ({
  onRetry: (attempt, reason, waitMs, endpoint) => core.info(`${what}: ${reason}; retry ${attempt} in ${waitMs / 1000} s (${endpoint})`),
});

/** `status=healthy schema_validated=true books=208`, as the original script printed it. */
export function describeHealth(h: EnvironmentHealth, contract?: HealthContract): string {
  if (!h.reachable) return `unreachable: ${h.problem ?? 'no answer'}`;
  if (contract?.mode === 'http-200') return [h.version ? `version=${h.version}` : undefined, h.healthy ? 'HTTP 2xx' : h.problem].filter(Boolean).join(' ');
  const parts = [
    h.version ? `version=${h.version}` : undefined,
    `status=${h.status ?? '?'}`,
    `database=${h.databaseStatus ?? '?'}`,
    `schema_validated=${h.schemaValidated ?? '?'}`,
    `books=${h.bookCount ?? '?'}`,
  ];
  return parts.filter(Boolean).join(' ') + (h.problem ? ` (${h.problem})` : '');
}

/**
 * Pre-flight: reads both environments' health. An unhealthy or unreachable source stops the run
 * before anything changes; an unhealthy target only warns (an empty or broken staging is a
 * common reason to refresh it).
 */
export async function checkHealth(ctx: RunContext): Promise<string> {
  const { source, target } = ctx.config;
  const contract = ctx.config.checks.health;
  const [sourceHealth, targetHealth] = await Promise.all([
    source.apiUrl ? readHealth(source.apiUrl, contract, retryLog(`${source.name} health`)) : undefined,
    target.apiUrl ? readHealth(target.apiUrl, contract, retryLog(`${target.name} health`)) : undefined,
  ]);
  ctx.report.health = { source: sourceHealth, targetBefore: targetHealth, contract: describeHealthContract(contract), countField: contract.mode === 'json' ? contract.fields.count : undefined };
  const lines: string[] = [];
  if (sourceHealth) lines.push(`${source.name}: ${describeHealth(sourceHealth, contract)}`);
  if (targetHealth) lines.push(`${target.name}: ${describeHealth(targetHealth, contract)}`);

  if (sourceHealth && !sourceHealth.healthy) {
    throw new StepError(
      `${source.name} is not healthy: ${sourceHealth.problem}. Nothing was changed: copying from an unhealthy ${source.name} could copy broken data. Fix ${source.name} (or check \`source-api-url\`) and run again.`,
      UNCHANGED,
    );
  }
  if (sourceHealth?.environment && sourceHealth.environment === targetHealth?.environment) {
    throw new StepError(
      `\`source-api-url\` and \`target-api-url\` both answer as environment \`${sourceHealth.environment}\`: they look like the same environment. Point \`target-api-url\` at ${target.name}'s API.`,
      UNCHANGED,
    );
  }
  if (targetHealth && !targetHealth.healthy) {
    ctx.note('warning', `${target.name} is not healthy before the refresh (${targetHealth.problem}); going on, since a refresh may be what it needs.`);
  }
  if (!source.apiUrl) ctx.note('info', `No \`source-api-url\`: ${source.name}'s health was not checked.`);
  if (!target.apiUrl) ctx.note('info', `No \`target-api-url\`: ${target.name}'s health was not checked before or after the refresh.`);
  return lines.join('; ');
}

/**
 * When the two environments run different commits: what changed between them (commits,
 * migrations, schema), and the `on-version-mismatch` policy applied — all before any write.
 */
export async function checkVersions(ctx: RunContext): Promise<string> {
  const { source, target, checks } = ctx.config;
  const s = ctx.report.health?.source;
  const t = ctx.report.health?.targetBefore;
  if (!s?.gitSha || !t?.gitSha) {
    const missing = !s?.gitSha ? source.name : target.name;
    const { infoPath, fields } = checks.health;
    const field = fields.gitSha ? `\`${fields.gitSha}\`` : 'git SHA (`health-git-sha-field` is `none`)';
    ctx.note('warning', `The versions could not be compared: ${missing}'s \`${infoPath}\` gave no ${field}.`);
    return `not compared: ${missing} reported no git SHA`;
  }
  const mismatch = !sameCommit(s.gitSha, t.gitSha);
  const versions: VersionReport = {
    source: { version: s.version, gitSha: s.gitSha },
    target: { version: t.version, gitSha: t.gitSha },
    mismatch,
    policy: checks.onVersionMismatch,
  };
  ctx.report.versions = versions;
  ctx.report.versionMismatch = mismatch;
  if (!mismatch) return `same version on both: ${s.version ?? s.gitSha}`;

  core.warning(`${source.name} runs ${s.version ?? s.gitSha} and ${target.name} runs ${t.version ?? t.gitSha}: checking what differs between them.`);
  versions.code = await compareCommits(
    {
      apiUrl: checks.githubApiUrl,
      repository: checks.repository,
      token: ctx.config.githubToken,
      base: t.gitSha,
      head: s.gitSha,
      migrationPaths: checks.migrationPaths,
    },
    retryLog('GitHub compare'),
  );
  versions.schema = await compareSchemas(ctx);

  const facts = [describeCode(versions.code, source.name, target.name), describeSchema(versions.schema)].join('; ');
  // Migrations on either side count: one only the target has changes the schema just as much.
  const schemaChanged = (versions.code.migrationFiles?.length ?? 0) > 0 || (versions.schema.differences?.length ?? 0) > 0;
  const knowsCode = versions.code.compared && !versions.code.filesIncomplete;
  const knowsSchema = versions.schema.compared;
  switch (checks.onVersionMismatch) {
    case 'fail':
      versions.decision = 'stopped before changing anything (`on-version-mismatch: fail`)';
      throw new StepError(
        `${source.name} (${s.version ?? s.gitSha}) and ${target.name} (${t.version ?? t.gitSha}) run different versions and \`on-version-mismatch\` is \`fail\`: ${facts}. Deploy the same version to both, or set \`on-version-mismatch\` to \`warn\` or \`fail-on-schema-change\`.`,
        UNCHANGED,
      );
    case 'fail-on-schema-change':
      if (schemaChanged || (!knowsCode && !knowsSchema)) {
        versions.decision = schemaChanged
          ? 'stopped before changing anything: the schema changed between the versions (`on-version-mismatch: fail-on-schema-change`)'
          : 'stopped before changing anything: whether the schema changed could not be checked (`on-version-mismatch: fail-on-schema-change`)';
        throw new StepError(
          schemaChanged
            ? `The schema changed between ${source.name} (${s.version ?? s.gitSha}) and ${target.name} (${t.version ?? t.gitSha}): ${facts}. Deploy the same version to both first, or set \`on-version-mismatch: warn\` to refresh anyway.`
            : `${source.name} and ${target.name} run different versions and whether the schema changed could not be checked: ${facts}. Give \`github-token\` (with read access to the repository) or both database URLs, or set \`on-version-mismatch: warn\`.`,
          UNCHANGED,
        );
      }
      versions.decision = 'went on: no schema change between the versions (`on-version-mismatch: fail-on-schema-change`)';
      return `versions differ, no schema change: ${facts}`;
    default:
      versions.decision = 'noted and went on (`on-version-mismatch: warn`)';
      return `versions differ: ${facts}`;
  }
}

async function compareSchemas(ctx: RunContext): Promise<SchemaDifference> {
  const { source, target } = ctx.config;
  if (!source.database || !target.database) return { compared: false, reason: 'no database URLs given (schemas are compared when both are)' };
  try {
    const result = await compareDatabaseSchemas({ database: source.database, name: source.name }, { database: target.database, name: target.name });
    return { compared: true, ...result };
  } catch (error) {
    return { compared: false, reason: `the schemas could not be read: ${errorMessage(error)}` };
  }
}

/** Short and long SHAs of the same commit are the same version. */
export function sameCommit(a: string, b: string): boolean {
  const x = a.trim().toLowerCase();
  const y = b.trim().toLowerCase();
  return x.length >= 7 && y.length >= 7 ? x.startsWith(y) || y.startsWith(x) : x === y;
}

export function describeCode(code: CodeDifference, sourceName: string, targetName: string): string {
  return code.compared ? describeCodeDifference(code, sourceName, targetName, false) : `code not compared: ${code.reason}`;
}

export function describeSchema(schema: SchemaDifference): string {
  if (!schema.compared) return `schemas not compared: ${schema.reason}`;
  if (!schema.differences?.length) return `schemas identical (${plural(schema.tablesCompared ?? 0, 'table')})`;
  return `${plural(schema.differences.length, 'schema difference')}: ${schema.differences.join('; ')}`;
}

export const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * After the refresh: POSTs to `cache-flush-url` so the target stops serving old data. A failed
 * flush is a warning, not a failed run: the data itself is in place.
 */
export async function flushCache(ctx: RunContext): Promise<string> {
  const { cacheFlushUrl, cacheFlushToken, cacheTtl } = ctx.config.checks;
  const target = ctx.config.target.name;
  const staleFor = cacheTtl ? `for up to ${cacheTtl}` : 'until its entries expire';
  if (!cacheFlushUrl) {
    ctx.report.cache = { flushed: false, ttl: cacheTtl };
    return `no \`cache-flush-url\`: ${target}'s cached data may be stale ${staleFor}`;
  }
  const shownUrl = displayUrl(cacheFlushUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (cacheFlushToken) headers.authorization = `Bearer ${cacheFlushToken}`;
  let failed: CacheReport;
  try {
    const response = await requestWithRetries(cacheFlushUrl, { method: 'POST', headers, body: '{}' }, retryLog('cache flush'));
    if (response.status >= 200 && response.status < 300) {
      ctx.report.cache = { url: shownUrl, flushed: true, httpStatus: response.status, ttl: cacheTtl };
      return `flushed ${target}'s caches (HTTP ${response.status} from ${shownUrl})`;
    }
    const error = `HTTP ${response.status}${response.body ? `: ${response.body.slice(0, 200)}` : ''}`;
    failed = { url: shownUrl, flushed: false, httpStatus: response.status, error, ttl: cacheTtl };
  } catch (error) {
    failed = { url: shownUrl, flushed: false, error: errorMessage(error), ttl: cacheTtl };
  }
  ctx.report.cache = failed;
  ctx.note('warning', `${target}'s caches could not be flushed (${failed.error}); the data is refreshed, but cached data may be stale ${staleFor}.`);
  return `not flushed: ${failed.error}`;
}

/**
 * Post-flight: polls the target's `health/deep` until it is healthy or `post-check-timeout`
 * passes. The data is already copied, so a failure says exactly that.
 */
export async function postCheck(ctx: RunContext): Promise<string> {
  const { target, source } = ctx.config;
  const timeoutMs = ctx.config.checks.postCheckTimeoutMs;
  const intervalMs = Math.min(5_000, Math.max(500, timeoutMs / 20));
  const started = Date.now();
  let attempts = 0;
  let health: EnvironmentHealth;
  for (;;) {
    attempts++;
    health = await readDeepHealthOnce(target.apiUrl!, ctx.config.checks.health, timeoutMs - (Date.now() - started));
    if (health.healthy) break;
    const left = timeoutMs - (Date.now() - started);
    core.info(`${target.name} not healthy yet (attempt ${attempts}: ${health.problem}); ${left > 0 ? 'checking again' : 'giving up'}`);
    if (left <= intervalMs) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  // The version is what was read before the refresh; the refresh does not deploy code.
  const before = ctx.report.health?.targetBefore;
  ctx.report.health = {
    ...ctx.report.health,
    targetAfter: { ...health, version: health.version ?? before?.version, gitSha: before?.gitSha },
    postCheck: { attempts, seconds, healthy: health.healthy },
  };
  if (!health.healthy) {
    throw new StepError(
      `the data was copied but ${target.name} did not come back healthy within ${timeoutMs / 1000} s (${plural(attempts, 'check')}; last: ${health.problem}). Look at ${target.name}'s application logs; the refresh itself completed.`,
      `refreshed (the data was copied) but not healthy: ${health.problem}`,
    );
  }
  const sourceBooks = ctx.report.health.source?.bookCount;
  if (sourceBooks !== undefined && health.bookCount !== undefined && sourceBooks !== health.bookCount && ctx.config.mode !== 'images-only') {
    ctx.note('warning', `${target.name} reports ${health.bookCount} books after the refresh, ${source.name} reported ${sourceBooks} before it (production may have changed meanwhile).`);
  }
  return `${target.name} healthy after ${plural(attempts, 'check')} (${seconds} s): ${describeHealth(health, ctx.config.checks.health)}`;
}

function displayUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
