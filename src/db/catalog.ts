import type pg from 'pg';

/** What the refresh needs to know about one database: its tables, columns, keys and sequences. */
export interface Catalog {
  tables: Map<string, CatalogTable>;
  /** Catalogued schemas an extension created (refreshing them would rewrite the extension's objects), with the extension. */
  extensionSchemas: { schema: string; extension: string }[];
  foreignKeys: ForeignKey[];
  /** Materialized views in the catalogued schemas, in creation order: `key` is `schema.name`, `sql` quoted. */
  materializedViews: { key: string; sql: string }[];
}

export interface CatalogTable {
  /** `schema.name` unquoted; the key of `Catalog.tables`. */
  key: string;
  schema: string;
  name: string;
  oid: number;
  /** The installed extension this table belongs to (e.g. PostGIS's `spatial_ref_sys`): never refreshed. */
  extension?: string;
  /** `p`: partitioned (COPY reads it through a query). */
  kind: 'r' | 'p';
  columns: CatalogColumn[];
  /** Sequences owned by a column (serial and identity), by column name. */
  sequences: Map<string, string>;
  /** Enabled user (non-internal) triggers. */
  userTriggers: string[];
  /**
   * Plain secondary indexes that can be dropped for the load and rebuilt from their definition
   * without losing anything (not backing a constraint, no comment, no clustering, …).
   */
  rebuildableIndexes: { name: string; definition: string }[];
}

export interface CatalogColumn {
  name: string;
  /** `format_type()`: e.g. `numeric(10,2)`, `text[]`, `public.mood`. */
  type: string;
  typeOid: number;
  /** pg_type.typcategory: N numeric, S string, D date/time, A array, E enum, U user… */
  category: string;
  /**
   * Binary COPY of this type carries no database-specific OIDs: built-in types and enums, but not
   * the reg* types (regclass, regtype, …), whose values are OIDs that mean other objects elsewhere.
   */
  binarySafe: boolean;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  identity: boolean;
}

export interface ForeignKey {
  name: string;
  child: string;
  parent: string;
  deferrable: boolean;
  /** Referencing columns of `child` and referenced columns of `parent`, pairwise. */
  childColumns?: string[];
  parentColumns?: string[];
  /** MATCH FULL: a partly-null key is a violation too. */
  matchFull?: boolean;
}

/** Types below this OID are built in, so their OIDs are the same in every database. */
const FIRST_NORMAL_OBJECT_ID = 16384;

export async function readCatalog(client: pg.Client, schemas: readonly string[]): Promise<Catalog> {
  const tables = new Map<string, CatalogTable>();
  const byOid = new Map<number, CatalogTable>();
  const tableRows = await client.query<{ oid: number; schema: string; name: string; kind: 'r' | 'p' }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1::text[])
      ORDER BY n.nspname, c.relname`,
    [schemas],
  );
  for (const row of tableRows.rows) {
    const table: CatalogTable = { key: `${row.schema}.${row.name}`, ...row, columns: [], sequences: new Map(), userTriggers: [], rebuildableIndexes: [] };
    tables.set(table.key, table);
    byOid.set(row.oid, table);
  }
  const oids = [...byOid.keys()];

  const columns = await client.query<{
    rel: number; name: string; type: string; type_oid: number; category: string; typtype: string; holds_oid: boolean;
    not_null: boolean; has_default: boolean; generated: string; identity: string;
  }>(
    `SELECT a.attrelid::int AS rel, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.atttypid::int AS type_oid, t.typcategory AS category, t.typtype AS typtype,
            (t.typnamespace = 'pg_catalog'::regnamespace AND t.typname ~ '^_?reg') AS holds_oid,
            a.attnotnull AS not_null, a.atthasdef AS has_default, a.attgenerated AS generated, a.attidentity AS identity
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  for (const c of columns.rows) {
    byOid.get(c.rel)?.columns.push({
      name: c.name,
      type: c.type,
      typeOid: c.type_oid,
      category: c.category,
      binarySafe: (c.type_oid < FIRST_NORMAL_OBJECT_ID && !c.holds_oid) || c.typtype === 'e',
      notNull: c.not_null,
      hasDefault: c.has_default,
      generated: c.generated !== '',
      identity: c.identity !== '',
    });
  }

  const sequences = await client.query<{ rel: number; column: string; sequence: string }>(
    `SELECT d.refobjid::int AS rel, a.attname AS column, format('%I.%I', sn.nspname, s.relname) AS sequence
       FROM pg_depend d
       JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
       JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.deptype IN ('a', 'i') AND d.refobjid = ANY($1::oid[])`,
    [oids],
  );
  for (const s of sequences.rows) byOid.get(s.rel)?.sequences.set(s.column, s.sequence);

  const triggers = await client.query<{ rel: number; name: string }>(
    `SELECT tgrelid::int AS rel, tgname AS name FROM pg_trigger
      WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgrelid = ANY($1::oid[]) ORDER BY tgname`,
    [oids],
  );
  for (const t of triggers.rows) byOid.get(t.rel)?.userTriggers.push(t.name);

  const indexes = await client.query<{ rel: number; name: string; definition: string }>(
    `SELECT i.indrelid::int AS rel, format('%I.%I', n.nspname, c.relname) AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.indrelid = ANY($1::oid[]) AND c.relkind = 'i' AND i.indisvalid AND i.indisready AND i.indislive
        AND NOT i.indisclustered AND NOT i.indisreplident AND c.reltablespace = 0
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
        AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
        AND NOT EXISTS (SELECT 1 FROM pg_description d WHERE d.objoid = i.indexrelid)
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = i.indexrelid AND d.deptype = 'x')
        AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indexrelid AND a.attstattarget > 0)
      ORDER BY 2`,
    [oids],
  );
  for (const i of indexes.rows) byOid.get(i.rel)?.rebuildableIndexes.push({ name: i.name, definition: i.definition });

  // Keys from or to any catalogued table; the other end may sit outside the refreshed set.
  const keys = await client.query<ForeignKey>(
    `SELECT con.conname AS name, cn.nspname || '.' || cc.relname AS child, pn.nspname || '.' || pc.relname AS parent,
            con.condeferrable AS deferrable, con.confmatchtype = 'f' AS "matchFull",
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, i)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.i) AS "childColumns",
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, i)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.i) AS "parentColumns"
       FROM pg_constraint con
       JOIN pg_class cc ON cc.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
       JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
      WHERE con.contype = 'f' AND con.conparentid = 0 AND (con.conrelid = ANY($1::oid[]) OR con.confrelid = ANY($1::oid[]))
      ORDER BY 1`,
    [oids],
  );

  const members = await client.query<{ rel: number; extension: string }>(
    `SELECT d.objid::int AS rel, e.extname AS extension FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND d.objid = ANY($1::oid[])`,
    [oids],
  );
  for (const m of members.rows) {
    const table = byOid.get(m.rel);
    if (table) table.extension = m.extension;
  }
  const extensionSchemas = await client.query<{ schema: string; extension: string }>(
    `SELECT n.nspname AS schema, e.extname AS extension FROM pg_namespace n
       JOIN pg_depend d ON d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid
      WHERE n.nspname = ANY($1::text[]) ORDER BY 1`,
    [schemas],
  );

  const views = await client.query<{ key: string; sql: string }>(
    `SELECT n.nspname || '.' || c.relname AS key, format('%I.%I', n.nspname, c.relname) AS sql
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'm' AND n.nspname = ANY($1::text[]) ORDER BY c.oid`,
    [schemas],
  );
  return { tables, extensionSchemas: extensionSchemas.rows, foreignKeys: keys.rows, materializedViews: views.rows };
}
