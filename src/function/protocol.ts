/**
 * The versioned JSON protocol between the action (`db-method: lambda`) and the function that runs
 * the copy engine inside staging's network. The options travel as the action's own input texts,
 * so the function validates them with the action's parsers (src/config/database-options.ts).
 */
import { parseTableName, type TableName } from '../config/config.js';
import { parseDatabaseOptions, type DatabaseOptions } from '../config/database-options.js';
import { InputSource } from '../config/inputs.js';
import type { RefreshFigures } from '../db/copy-report.js';
import type { RefreshDescription } from '../db/dry-run.js';

export const PROTOCOL = 'prod-to-staging-sync/database';
export const PROTOCOL_VERSION = 1;

export type FunctionAction = 'inspect' | 'refresh';

export interface FunctionEventOptions {
  schemas: string[];
  /** `tables` / `exclude-tables` patterns as written (`books`, `public.audit_*`). */
  tables: string[];
  excludeTables: string[];
  /** `schema.name`. */
  countTable: string;
  lockTimeoutMs: number;
  postSyncSql: string;
  masking: { rules: string[]; salt?: string; onUnmaskedPii: 'warn' | 'fail' };
}

export interface FunctionEvent {
  protocol: typeof PROTOCOL;
  version: typeof PROTOCOL_VERSION;
  action: FunctionAction;
  /** The environment refreshed (e.g. `staging`); the function refuses any other than its own. */
  target: string;
  /** Must equal `target` for a refresh. */
  confirm?: string;
  options: FunctionEventOptions;
}

/** The count-table's figures read by the function on a dry run (the runner cannot reach the databases). */
export interface CountTableFigures {
  table: string;
  sourceCount?: number;
  targetCountBefore?: number;
}

export interface FunctionAnswer {
  protocol: typeof PROTOCOL;
  version: typeof PROTOCOL_VERSION;
  ok: boolean;
  action?: FunctionAction;
  /** Seconds the function spent on the inspection or the refresh. */
  seconds?: number;
  /** `inspect`: what a refresh would do, and the count-table's figures. */
  description?: RefreshDescription;
  countTable?: CountTableFigures;
  /** `refresh`: the committed copy's figures. */
  refresh?: RefreshFigures;
  /** On failure: why, and the state staging is in. */
  message?: string;
  targetState?: string;
}

/** Newline-delimited JSON the function streams: progress lines while it works, then its answer. */
export type StreamEvent = { type: 'progress'; line: string } | ({ type: 'result' } & FunctionAnswer);

export function eventOptions(options: DatabaseOptions, countTable: TableName): FunctionEventOptions {
  return {
    schemas: options.schemas,
    tables: options.tables.map((p) => p.text),
    excludeTables: options.excludeTables.map((p) => p.text),
    countTable: `${countTable.schema}.${countTable.name}`,
    lockTimeoutMs: options.lockTimeoutMs,
    postSyncSql: options.postSyncSql,
    masking: {
      rules: options.masking.rules.map((r) => r.text),
      ...(options.masking.salt !== undefined ? { salt: options.masking.salt } : {}),
      onUnmaskedPii: options.masking.onUnmaskedPii,
    },
  };
}

/** The event, validated: the options go through the action's own input parsers. */
export type ParsedEvent = { action: FunctionAction; target: string; confirm?: string; options: DatabaseOptions; countTable: TableName };

export function parseEvent(event: unknown): ParsedEvent | { error: string } {
  const e = event && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : undefined;
  if (!e || e.protocol !== PROTOCOL) return { error: `the event is not of the \`${PROTOCOL}\` protocol` };
  if (e.version !== PROTOCOL_VERSION) return { error: `the event is of protocol version ${String(e.version)}; this function speaks version ${PROTOCOL_VERSION}: deploy the function of the action's release` };
  if (e.action !== 'inspect' && e.action !== 'refresh') return { error: `the event's action must be \`inspect\` or \`refresh\`, got \`${String(e.action)}\`` };
  if (typeof e.target !== 'string' || !e.target) return { error: 'the event names no `target`' };
  const o = (e.options && typeof e.options === 'object' ? e.options : {}) as Partial<FunctionEventOptions>;
  const lines = (value: unknown) => (Array.isArray(value) ? value.map(String).join('\n') : '');
  const masking = (o.masking ?? {}) as Partial<FunctionEventOptions['masking']>;
  const inputs: Record<string, string> = {
    'db-method': 'copy',
    schemas: lines(o.schemas),
    tables: lines(o.tables),
    'exclude-tables': lines(o.excludeTables),
    'lock-timeout': typeof o.lockTimeoutMs === 'number' ? `${o.lockTimeoutMs}ms` : '',
    'post-sync-sql': typeof o.postSyncSql === 'string' ? o.postSyncSql : '',
    masking: lines(masking.rules),
    'masking-salt': typeof masking.salt === 'string' ? masking.salt : '',
    'on-unmasked-pii': typeof masking.onUnmaskedPii === 'string' ? masking.onUnmaskedPii : '',
  };
  const source = new InputSource((name) => inputs[name] ?? '');
  const options = parseDatabaseOptions(source);
  const countTable = parseTableName(typeof o.countTable === 'string' && o.countTable ? o.countTable : 'public.books');
  if (!countTable) source.problems.push(`\`count-table\` \`${String(o.countTable)}\` is not a table name.`);
  if (source.problems.length > 0) return { error: `the event's options are invalid: ${source.problems.join(' ')}` };
  return { action: e.action, target: e.target, ...(typeof e.confirm === 'string' ? { confirm: e.confirm } : {}), options, countTable: countTable! };
}

/** Whether an answer is of this protocol (else: the original function's shape, or neither). */
export function isProtocolAnswer(payload: unknown): payload is FunctionAnswer {
  return Boolean(payload && typeof payload === 'object' && (payload as { protocol?: unknown }).protocol === PROTOCOL);
}
