import type pg from 'pg';
import type { DatabaseUrl } from '../config/database-url.js';
import { connectDatabase } from './connect.js';

export interface ColumnShape {
  /** As PostgreSQL prints it, with modifiers: `character varying(32)`, `numeric(10,2)`. */
  type: string;
  nullable: boolean;
}

/** `schema.table` → column name → shape; columns in table order. */
export type SchemaShape = Map<string, Map<string, ColumnShape>>;

/** Tables and partitioned tables of every user schema; partitions are covered by their parent. */
const SHAPE_QUERY = `
  SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
         format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  ORDER BY n.nspname, c.relname, a.attnum`;

export async function readSchemaShape(client: pg.Client): Promise<SchemaShape> {
  const { rows } = await client.query<{ schema: string; table: string; column: string; type: string; nullable: boolean }>(SHAPE_QUERY);
  const shape: SchemaShape = new Map();
  for (const row of rows) {
    const table = `${row.schema}.${row.table}`;
    if (!shape.has(table)) shape.set(table, new Map());
    shape.get(table)!.set(row.column, { type: row.type, nullable: row.nullable });
  }
  return shape;
}

/**
 * The differences between two schemas, one line each, in a stable order: tables only on one
 * side, then per shared table the columns only on one side, type and nullability changes.
 */
export function diffSchemas(source: SchemaShape, target: SchemaShape, names: { source: string; target: string }): string[] {
  const differences: string[] = [];
  const describe = (c: ColumnShape) => `${c.type}${c.nullable ? '' : ' NOT NULL'}`;
  const tables = [...new Set([...source.keys(), ...target.keys()])].sort();
  for (const table of tables) {
    const s = source.get(table);
    const t = target.get(table);
    if (!t) {
      differences.push(`table \`${table}\` only in ${names.source}`);
      continue;
    }
    if (!s) {
      differences.push(`table \`${table}\` only in ${names.target}`);
      continue;
    }
    for (const [column, sc] of s) {
      const tc = t.get(column);
      if (!tc) differences.push(`column \`${table}.${column}\` (${describe(sc)}) only in ${names.source}`);
      else if (sc.type !== tc.type) differences.push(`column \`${table}.${column}\`: ${sc.type} in ${names.source}, ${tc.type} in ${names.target}`);
      else if (sc.nullable !== tc.nullable) {
        const word = (c: ColumnShape) => (c.nullable ? 'nullable' : 'NOT NULL');
        differences.push(`column \`${table}.${column}\`: ${word(sc)} in ${names.source}, ${word(tc)} in ${names.target}`);
      }
    }
    for (const [column, tc] of t) {
      if (!s.has(column)) differences.push(`column \`${table}.${column}\` (${describe(tc)}) only in ${names.target}`);
    }
  }
  return differences;
}

/** Reads both schemas over read-only connections and diffs them. */
export async function compareDatabaseSchemas(
  source: { database: DatabaseUrl; name: string },
  target: { database: DatabaseUrl; name: string },
): Promise<{ tablesCompared: number; differences: string[] }> {
  const read = async (side: { database: DatabaseUrl; name: string }) => {
    const { client } = await connectDatabase(side.database, side.name, { readOnly: true });
    try {
      return await readSchemaShape(client);
    } finally {
      await client.end().catch(() => {});
    }
  };
  const [s, t] = await Promise.all([read(source), read(target)]);
  const tablesCompared = new Set([...s.keys(), ...t.keys()]).size;
  return { tablesCompared, differences: diffSchemas(s, t, { source: source.name, target: target.name }) };
}
