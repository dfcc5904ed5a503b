import { describe, expect, it } from 'vitest';
import { DB_METHODS, parseDatabaseOptions } from '../../src/config/database-options.js';
import { InputSource } from '../../src/config/inputs.js';
import type { Catalog, CatalogColumn, CatalogTable, ForeignKey } from '../../src/db/catalog.js';
import { CopyMeter } from '../../src/db/copy-meter.js';
import { clientTooOld, parseClientVersion, serverVersion } from '../../src/db/dump.js';
import { planRefresh } from '../../src/db/refresh-plan.js';
import { databaseSection } from '../../src/report/database-section.js';
import { newReport } from '../../src/report/model.js';

const names = { source: 'production', target: 'staging' };
const noOptions = { tables: [], excludeTables: [] };

function col(name: string, type = 'integer', extra: Partial<CatalogColumn> = {}): CatalogColumn {
  const category = type.endsWith('[]') ? 'A' : /int|numeric/.test(type) ? 'N' : type === 'jsonb' ? 'U' : 'S';
  return { name, type, typeOid: 23, category, binarySafe: true, notNull: false, hasDefault: false, generated: false, identity: false, ...extra };
}

function table(name: string, columns: CatalogColumn[], schema = 'public'): CatalogTable {
  return { key: `${schema}.${name}`, schema, name, oid: 1, kind: 'r', columns, sequences: new Map(), userTriggers: [], rebuildableIndexes: [] };
}

function catalog(tables: CatalogTable[], foreignKeys: ForeignKey[] = []): Catalog {
  return { tables: new Map(tables.map((t) => [t.key, t])), extensionSchemas: [], foreignKeys, materializedViews: [] };
}

const fk = (child: string, parent: string, deferrable = false): ForeignKey => ({ name: `${child}_fk`, child: `public.${child}`, parent: `public.${parent}`, deferrable });

describe('planRefresh: which tables', () => {
  const source = catalog([table('books', [col('id')]), table('alembic_version', [col('v', 'text')]), table('audit', [col('id')]), table('tmp_import', [col('id')])]);
  const target = catalog([table('books', [col('id')]), table('alembic_version', [col('v', 'text')]), table('flags', [col('id')]), table('tmp_import', [col('id')])]);

  it('copies shared tables, keeps migration and staging-only tables, skips production-only ones', () => {
    const plan = planRefresh(source, target, noOptions, names);
    expect(plan.tables.map((t) => [t.key, t.action])).toEqual([
      ['public.alembic_version', 'keep'],
      ['public.audit', 'skip'],
      ['public.books', 'copy'],
      ['public.flags', 'keep'],
      ['public.tmp_import', 'copy'],
    ]);
    expect(plan.warnings).toContain('`public.flags` exists only in staging: left untouched.');
    expect(plan.problems).toEqual([]);
  });

  it('honours exclude-tables globs and a tables list; naming a migration table copies it', () => {
    const plan = planRefresh(source, target, { tables: [{ name: 'books', text: 'books' }, { name: 'alembic_version', text: 'alembic_version' }], excludeTables: [] }, names);
    expect(plan.loadOrder.map((t) => t.key)).toEqual(['public.alembic_version', 'public.books']);
    const excluded = planRefresh(source, target, { tables: [], excludeTables: [{ name: 'tmp_*', text: 'tmp_*' }] }, names);
    expect(excluded.tables.find((t) => t.key === 'public.tmp_import')).toMatchObject({ action: 'keep', reason: expect.stringContaining('`tmp_*`') });
  });
});

describe('planRefresh: column drift', () => {
  it('copies columns by name, skips production-only ones with a warning and never writes generated columns', () => {
    const plan = planRefresh(
      catalog([table('books', [col('id'), col('legacy', 'text'), col('title', 'text'), col('lower', 'text', { generated: true })])]),
      catalog([table('books', [col('title', 'text'), col('id'), col('lower', 'text', { generated: true }), col('note', 'text', { hasDefault: true })])]),
      noOptions,
      names,
    );
    const books = plan.tables[0]!;
    expect(books.columns).toEqual(['title', 'id']);
    expect(books.format).toBe('binary');
    expect(plan.warnings).toEqual(['`public.books.legacy` exists only in production: its values are not copied.']);
    expect(books.columnDifferences).toContain('`note` only in staging: keeps its default');
  });

  it('refuses, before anything is truncated, a staging NOT NULL column without default that production lacks', () => {
    const plan = planRefresh(catalog([table('books', [col('id')])]), catalog([table('books', [col('id'), col('isbn', 'text', { notNull: true })])]), noOptions, names);
    expect(plan.problems[0]).toContain('`public.books.isbn` is NOT NULL without a default in staging');
  });

  it('carries compatible type changes as text and refuses incompatible ones', () => {
    const ok = planRefresh(catalog([table('r', [col('n', 'smallint')])]), catalog([table('r', [col('n', 'integer')])]), noOptions, names);
    expect(ok.tables[0]!.format).toBe('text');
    expect(ok.problems).toEqual([]);
    const toText = planRefresh(catalog([table('r', [col('n', 'jsonb')])]), catalog([table('r', [col('n', 'text')])]), noOptions, names);
    expect(toText.problems).toEqual([]);
    const bad = planRefresh(catalog([table('r', [col('n', 'text')])]), catalog([table('r', [col('n', 'integer')])]), noOptions, names);
    expect(bad.problems[0]).toContain('`public.r.n` is text in production but integer in staging');
  });

  it('uses text format when a type is not built in (its OID differs between databases)', () => {
    const plan = planRefresh(
      catalog([table('t', [col('c', 'public.composite', { binarySafe: false, category: 'C' })])]),
      catalog([table('t', [col('c', 'public.composite', { binarySafe: false, category: 'C' })])]),
      noOptions,
      names,
    );
    expect(plan.tables[0]!.format).toBe('text');
  });
});

describe('planRefresh: foreign keys', () => {
  const tables = ['authors', 'books', 'reviews'].map((n) => table(n, [col('id')]));

  it('orders parents first, ignoring self-references and deferrable keys', () => {
    const keys = [fk('reviews', 'books'), fk('books', 'authors'), fk('authors', 'authors'), fk('authors', 'books', true)];
    const plan = planRefresh(catalog(tables), catalog(tables, keys), noOptions, names);
    expect(plan.loadOrder.map((t) => t.key)).toEqual(['public.authors', 'public.books', 'public.reviews']);
    expect(plan.cycle).toBeUndefined();
  });

  it('names the tables of a non-deferrable cycle', () => {
    const plan = planRefresh(catalog(tables), catalog(tables, [fk('books', 'authors'), fk('authors', 'books')]), noOptions, names);
    expect(plan.cycle).toEqual(['public.authors', 'public.books']);
  });

  it('refuses to empty a table that a kept table references', () => {
    const target = catalog([...tables, table('notes', [col('id')])], [fk('notes', 'books')]);
    const plan = planRefresh(catalog(tables), target, noOptions, names);
    expect(plan.problems[0]).toContain("staging's table `public.notes` (not refreshed) references `public.books`");
  });
});

describe('pg_dump version check', () => {
  it('reads client and server versions, old and new numbering', () => {
    expect(parseClientVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual({ num: 150018, major: '15' });
    expect(parseClientVersion('pg_dump (PostgreSQL) 9.6.0')).toEqual({ num: 90600, major: '9.6' });
    expect(serverVersion(170002).major).toBe('17');
    expect(serverVersion(90624).major).toBe('9.6');
  });

  it('refuses an older major version with an install hint, accepts the same or newer', () => {
    const message = clientTooOld(parseClientVersion('pg_dump (PostgreSQL) 14.9')!, serverVersion(150004), 'production');
    expect(message).toContain("pg_dump 14 cannot dump production's PostgreSQL 15 server");
    expect(message).toContain('postgresql-client-15');
    expect(clientTooOld(parseClientVersion('pg_dump (PostgreSQL) 15.1')!, serverVersion(150018), 'production')).toBeUndefined();
    expect(clientTooOld(parseClientVersion('pg_dump (PostgreSQL) 16.2')!, serverVersion(90624), 'production')).toBeUndefined();
    expect(clientTooOld(parseClientVersion('pg_dump (PostgreSQL) 9.5.3')!, serverVersion(90624), 'production')).toContain('postgresql-client-9.6');
  });
});

describe('CopyMeter', () => {
  it('counts text rows by newline and binary rows by walking tuple headers, across chunk boundaries', async () => {
    const text = new CopyMeter('text');
    text.end(Buffer.from('1\ta\\nb\n2\tc\n'));
    for await (const _ of text) void _;
    expect(text.rows).toBe(2);

    const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
    const field = (value: string | null) => {
      if (value === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
      const len = Buffer.alloc(4);
      len.writeInt32BE(value.length);
      return Buffer.concat([len, Buffer.from(value)]);
    };
    const tuple = (...values: (string | null)[]) => {
      const n = Buffer.alloc(2);
      n.writeInt16BE(values.length);
      return Buffer.concat([n, ...values.map(field)]);
    };
    const data = Buffer.concat([header, tuple('abc', null), tuple('x'.repeat(300), 'y'), tuple('', ''), Buffer.from([0xff, 0xff])]);
    const binary = new CopyMeter('binary');
    const chunks = [];
    for (let i = 0; i < data.length; i += 3) chunks.push(data.subarray(i, i + 3));
    const out: Buffer[] = [];
    binary.on('data', (d: Buffer) => out.push(d));
    for (const c of chunks) binary.write(c);
    binary.end();
    await new Promise((r) => binary.on('end', r));
    expect(binary.rows).toBe(3);
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });
});

describe('database options', () => {
  const parse = (inputs: Record<string, string>) => {
    const source = new InputSource((name) => inputs[name] ?? '');
    return { options: parseDatabaseOptions(source), problems: source.problems };
  };

  it('defaults to copy, public, 30 s, nothing excluded', () => {
    expect(parse({}).options).toEqual({ method: 'copy', schemas: ['public'], tables: [], excludeTables: [], lockTimeoutMs: 30_000, postSyncSql: '', masking: { rules: [], onUnmaskedPii: 'warn' } });
    expect(DB_METHODS).toContain('dump');
  });

  it('leaves transaction control in post-sync-sql to the server (a text check cannot tell a string or a comment from a statement)', () => {
    expect(parse({ 'post-sync-sql': "UPDATE notes SET body = 'done; COMMIT'; -- then\nEND" }).problems).toEqual([]);
    expect(parse({ 'post-sync-sql': "DO $$ BEGIN UPDATE users SET name = 'x'; END $$; UPDATE t SET c = 'commit'" }).problems).toEqual([]);
  });

  it('reports every bad value', () => {
    const { problems } = parse({ 'db-method': 'rsync', schemas: 'public, bad-name', 'exclude-tables': 'a.b.c', 'lock-timeout': 'soon' });
    expect(problems).toEqual([
      `\`db-method\` must be one of ${DB_METHODS.join(', ')}, got \`rsync\`.`,
      '`schemas` holds `bad-name`, which is not a schema name (one per line, e.g. `public`).',
      '`exclude-tables` holds `a.b.c`, which is not a table name (`books`, `public.books` or a glob such as `audit_*`).',
      '`lock-timeout` must be a duration such as `30s`, `2m` or `1h`, got `soon`.',
    ]);
  });
});

describe('database section of the summary', () => {
  it('shows totals, foreign-key handling, warnings and a per-table details block', () => {
    const report = newReport({ mode: 'db-only', dryRun: false, sourceName: 'production', targetName: 'staging' });
    report.database = {
      countTable: 'public.books',
      method: 'copy',
      tablesCopied: 1,
      rowsCopied: 1200,
      bytesCopied: 2_000_000,
      seconds: 2,
      foreignKeys: 'triggers off for the load',
      warnings: ['`public.flags` exists only in staging: left untouched.'],
      tables: [
        { table: 'public.books', action: 'copy', rowsCopied: 1200, bytes: 2_000_000, seconds: 1.5, format: 'binary' },
        { table: 'public.flags', action: 'keep', reason: 'only in staging: left untouched' },
      ],
    };
    const text = databaseSection(report).join('\n');
    expect(text).toContain('**Method:** copy · **Tables refreshed:** 1 · **Rows:** 1,200 · **Data:** 2.0 MB · **Time:** 2.0 s · **Rate:** 1.0 MB/s');
    expect(text).toContain('- ⚠️ `public.flags` exists only in staging: left untouched.');
    expect(text).toContain('<details>');
    expect(text).toContain('| `public.books` | replaced | 1,200 | 2.0 MB | 1.5 s | binary |  |');
    expect(text).toContain('| `public.flags` | left as is |  |  |  |  | only in staging: left untouched |');
  });

  it('is empty when the run has no database part', () => {
    expect(databaseSection(newReport({ mode: 'images-only', dryRun: false, sourceName: 'p', targetName: 's' }))).toEqual([]);
  });
});
