/**
 * What the function does with one event, on the action's own database code: the dry-run
 * description (`inspect`) or the copy engine (`refresh`). Every refusal happens before anything
 * is written; nothing is retried (a second attempt would be a second refresh).
 */
import type { FunctionOptions } from '../config/function-options.js';
import type { DatabaseUrl } from '../config/database-url.js';
import { readDatabaseSecret } from '../aws/secrets.js';
import { connectDatabase, countRows, qualifiedName, serverIdentity, type Connected } from '../db/connect.js';
import { copyDatabase, describePgError, RefreshError, ROLLED_BACK } from '../db/copy-engine.js';
import { refreshFigures } from '../db/copy-report.js';
import { NOTHING_WRITTEN } from '../db/refresh-error.js';
import { describeTables } from '../db/dry-run.js';
import { planFromServers, planProblemsMessage } from '../db/read-plan.js';
import type { Names } from '../db/refresh-plan.js';
import { formatBytes } from '../report/format.js';
import { Redactor } from '../report/redact.js';
import { parseEvent, PROTOCOL, PROTOCOL_VERSION, type FunctionAnswer, type ParsedEvent } from './protocol.js';

export interface FunctionIo {
  /** Lambda's `context.getRemainingTimeInMillis()`. */
  remainingMs: () => number;
  progress: (line: string) => void;
}

const NOTHING_DONE = 'unchanged (the function refused before connecting to it)';
/** Time kept for the work after the load (index rebuilds, key checks, counts, commit) and for answering. */
const AFTER_LOAD_FACTOR = 1;
const SAFETY_MS = 15_000;

export async function runFunction(event: unknown, config: FunctionOptions, rawIo: FunctionIo): Promise<FunctionAnswer> {
  const started = performance.now();
  // The secrets' values (host, user, database, password) never leave the function: the action
  // prints its messages and progress lines, and it never saw those secrets to mask them.
  const secretValues = new Redactor();
  const io: FunctionIo = { ...rawIo, progress: (line) => rawIo.progress(secretValues.redact(line)) };
  const answer = (fields: Partial<FunctionAnswer>): FunctionAnswer => ({
    protocol: PROTOCOL,
    version: PROTOCOL_VERSION,
    ok: false,
    seconds: Math.round(performance.now() - started) / 1000,
    ...fields,
    ...(fields.message ? { message: secretValues.redact(fields.message) } : {}),
  });
  const parsed = parseEvent(event);
  if ('error' in parsed) return answer({ message: `refused: ${parsed.error}.`, targetState: NOTHING_DONE });
  const refusal = refuseEvent(parsed, config);
  if (refusal) return answer({ action: parsed.action, message: refusal, targetState: NOTHING_DONE });

  const names: Names = { source: config.sourceName, target: config.targetName };
  let src: Connected | undefined;
  let tgt: Connected | undefined;
  try {
    const mask = (value: string) => secretValues.add(value);
    const [sourceDb, targetDb] = await Promise.all([readSecret(config, 'source', mask), readSecret(config, 'target', mask)]);
    src = await connectDatabase(sourceDb, names.source, { readOnly: true });
    tgt = await connectDatabase(targetDb, names.target, { readOnly: parsed.action === 'inspect' });
    const [sourceId, targetId] = await Promise.all([serverIdentity(src.client), serverIdentity(tgt.client)]);
    if (sourceId === targetId) {
      return answer({
        action: parsed.action,
        message: `refused: SOURCE_SECRET_ARN and TARGET_SECRET_ARN reach the same database (the server reports the same identity for ${src.label} and ${tgt.label}); refusing to copy a database onto itself. Point TARGET_SECRET_ARN at ${names.target}'s database.`,
        targetState: NOTHING_WRITTEN,
      });
    }
    if (parsed.action === 'inspect') {
      const [sourceCount, targetCountBefore] = await Promise.all([countRows(src.client, parsed.countTable), countRows(tgt.client, parsed.countTable)]);
      const description = await describeTables(src.client, tgt.client, parsed.options, names);
      return answer({
        ok: true,
        action: 'inspect',
        description,
        countTable: { table: `${parsed.countTable.schema}.${parsed.countTable.name}`, sourceCount, targetCountBefore },
      });
    }
    await checkTimeLeft(src, tgt, parsed, names, config, io);
    io.progress(`Copying ${names.source} → ${names.target} in one transaction.`);
    const result = await copyDatabase({
      source: src.client,
      target: tgt.client,
      options: parsed.options,
      names,
      countTable: parsed.countTable,
      log: io.progress,
      progressSeconds: config.progressSeconds,
    });
    return answer({ ok: true, action: 'refresh', refresh: refreshFigures(result) });
  } catch (error) {
    // Closing the connection without COMMIT is what rolls back; do it before answering.
    await tgt?.client.end().catch(() => {});
    tgt = undefined;
    const message = error instanceof RefreshError ? error.message : describePgError(error);
    return answer({ action: parsed.action, message, targetState: error instanceof RefreshError ? error.targetState : ROLLED_BACK });
  } finally {
    await tgt?.client.end().catch(() => {});
    await src?.client.end().catch(() => {});
  }
}

/** The function's own guard, whatever the caller checked: only its own target, and a refresh only when confirmed. */
export function refuseEvent(event: ParsedEvent, config: FunctionOptions): string | undefined {
  if (event.target !== config.targetName) {
    return `refused: the event names target \`${event.target}\`, but this function refreshes only \`${config.targetName}\` (TARGET_NAME).`;
  }
  if (event.action === 'refresh' && event.confirm !== config.targetName) {
    return `refused: a refresh needs \`confirm\` equal to \`${config.targetName}\` in the event (got ${event.confirm === undefined ? 'none' : `\`${event.confirm}\``}); nothing was done.`;
  }
  return undefined;
}

async function readSecret(config: FunctionOptions, side: 'source' | 'target', mask: (value: string) => void): Promise<DatabaseUrl> {
  const id = side === 'source' ? config.sourceSecretArn : config.targetSecretArn;
  const database = await readDatabaseSecret(id, {
    region: config.region,
    mask,
    what: `${side === 'source' ? config.sourceName : config.targetName}'s database, ${side === 'source' ? 'SOURCE' : 'TARGET'}_SECRET_ARN`,
    timeouts: { connectTimeoutMs: 5_000, answerTimeoutMs: 10_000, idleTimeoutMs: 10_000 },
  });
  return { ...database, sslmode: config.sslmode, ...(config.caBundle ? { sslrootcert: config.caBundle } : {}) };
}

/**
 * Fails before loading when the data cannot be copied in the time the function has left, rather
 * than being stopped mid-load (which leaves staging unchanged too, but says less). Sizes are the
 * tables' on-disk sizes in the plan's snapshot; the rate is a conservative one (DB_ASSUMED_MB_PER_SECOND).
 */
async function checkTimeLeft(src: Connected, tgt: Connected, event: ParsedEvent, names: Names, config: FunctionOptions, io: FunctionIo): Promise<void> {
  const { plan, problems } = await planFromServers(src.client, tgt.client, event.options, names);
  if (problems.length > 0) throw new RefreshError(planProblemsMessage(names, problems));
  const tables = plan.loadOrder.map((t) => qualifiedName(t.source!));
  const { rows } = await src.client.query<{ bytes: string }>(
    'SELECT coalesce(sum(pg_table_size(to_regclass(t))), 0)::text AS bytes FROM unnest($1::text[]) AS t',
    [tables],
  );
  await Promise.all([src.client.query('ROLLBACK'), tgt.client.query('ROLLBACK')]);
  const bytes = Number(rows[0]!.bytes);
  const neededMs = (bytes / config.assumedBytesPerSecond) * 1000 * (1 + AFTER_LOAD_FACTOR) + SAFETY_MS;
  const leftMs = io.remainingMs();
  io.progress(`${tables.length} table(s), ${formatBytes(bytes)} on disk in ${names.source}; about ${Math.ceil(neededMs / 1000)} s needed, ${Math.floor(leftMs / 1000)} s left.`);
  if (neededMs > leftMs) {
    throw new RefreshError(
      `${names.source}'s tables hold ${formatBytes(bytes)}: at ${formatBytes(config.assumedBytesPerSecond)}/s the refresh needs about ${Math.ceil(neededMs / 1000)} s, and the function has ${Math.floor(leftMs / 1000)} s left. ` +
        `Nothing was changed. Raise the function's timeout (at most 15 minutes) and memory, narrow \`tables\`, or use a runner inside the VPC with \`db-method: copy\`.`,
    );
  }
}
