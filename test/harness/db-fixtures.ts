import pg from 'pg';
import { adminUrl, query, uniqueName } from './servers.js';

/**
 * A production/staging pair for the database refresh. Production has every column type that
 * has tripped a copy before; staging is the same app a few migrations apart, with older rows.
 */
const PRODUCTION_SCHEMA = `
  CREATE TYPE book_condition AS ENUM ('poor', 'good', 'fine');
  CREATE TABLE authors (
    id serial PRIMARY KEY,
    name text NOT NULL,
    mentor_id integer REFERENCES authors(id),
    favourite_book_id integer,
    born date
  );
  CREATE TABLE books (
    id serial PRIMARY KEY,
    uuid uuid NOT NULL UNIQUE,
    title text NOT NULL,
    title_lower text GENERATED ALWAYS AS (lower(title)) STORED,
    author_id integer NOT NULL REFERENCES authors(id),
    price numeric(10,2),
    tags text[] NOT NULL DEFAULT '{}',
    details jsonb,
    condition book_condition NOT NULL DEFAULT 'good',
    cover bytea,
    published_at timestamptz,
    legacy_code text
  );
  -- authors <-> books is a cycle; the back-reference is deferrable, as it must be to insert at all.
  ALTER TABLE authors ADD CONSTRAINT authors_favourite_book_fk FOREIGN KEY (favourite_book_id) REFERENCES books(id) DEFERRABLE;
  CREATE TABLE reviews (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    book_id integer NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    rating smallint NOT NULL,
    body text
  );
  CREATE TABLE images (
    id bigserial PRIMARY KEY,
    book_id integer NOT NULL REFERENCES books(id),
    s3_key text NOT NULL,
    content_type text NOT NULL
  );
  CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
  CREATE TABLE audit_log (id serial PRIMARY KEY, event text NOT NULL);
  CREATE MATERIALIZED VIEW author_stats AS SELECT author_id, count(*) AS books FROM books GROUP BY author_id;
`;

const PRODUCTION_DATA = `
  INSERT INTO authors (name, born) SELECT 'Author ' || g, date '1900-01-01' + g * 400 FROM generate_series(1, 30) g;
  -- Mentors point forward and backward, so no single row order satisfies the self-reference.
  UPDATE authors SET mentor_id = CASE WHEN id % 2 = 0 THEN id - 1 WHEN id < 30 THEN id + 1 END;
  INSERT INTO books (uuid, title, author_id, price, tags, details, condition, cover, published_at, legacy_code)
  SELECT md5('book' || g)::uuid,
         CASE g % 4 WHEN 0 THEN E'Tab\\there, new\\nline, back\\\\slash' WHEN 1 THEN 'Ünïcødé — 書 ' || g ELSE 'Book ' || g END,
         1 + g % 30,
         round((g * 3.37)::numeric, 2),
         ARRAY['fiction', 'vol-' || (g % 5), CASE WHEN g % 7 = 0 THEN NULL ELSE 'quote"d, {braced}' END],
         jsonb_build_object('pages', 100 + g, 'nested', jsonb_build_object('a', ARRAY[g, g + 1]), 'note', E'line\\nbreak'),
         (ARRAY['poor', 'good', 'fine']::book_condition[])[1 + g % 3],
         CASE WHEN g % 5 = 0 THEN NULL ELSE decode(lpad(to_hex(g), 8, '0') || '000a0d5c', 'hex') END,
         timestamptz '2024-01-01 00:00:00.123456+00' + g * interval '1 day 1.5 second',
         'L-' || g
  FROM generate_series(1, 300) g;
  -- The newest rows were deleted: the sequence is ahead of max(id), as in real life.
  DELETE FROM books WHERE id > 290;
  UPDATE authors SET favourite_book_id = id * 3;
  INSERT INTO reviews (book_id, rating, body) SELECT 1 + g % 290, g % 5 + 1, repeat('Good read. ', g % 4) FROM generate_series(1, 500) g;
  INSERT INTO images (book_id, s3_key, content_type)
  SELECT b.id, 'books/' || b.id || '/' || v || '.jpg', 'image/jpeg' FROM books b, unnest(ARRAY['cover', 'spine']) v;
  INSERT INTO alembic_version VALUES ('d688bcd');
  INSERT INTO audit_log (event) SELECT 'event ' || g FROM generate_series(1, 10) g;
  REFRESH MATERIALIZED VIEW author_stats;
`;

export interface StagingOptions {
  /** A staging-only NOT NULL column without a default (production cannot fill it). */
  notNullWithoutDefault?: boolean;
  /** A CHECK constraint that one production row violates (fails in the middle of the load). */
  priceCheck?: boolean;
  /** A user trigger that would rewrite loaded rows if it fired. */
  rewritingTrigger?: boolean;
}

function stagingSchema(opts: StagingOptions): string {
  return `
  CREATE TYPE book_condition AS ENUM ('poor', 'good', 'fine');
  CREATE TABLE authors (
    id serial PRIMARY KEY,
    name text NOT NULL,
    mentor_id integer REFERENCES authors(id),
    favourite_book_id integer,
    born date
  );
  CREATE TABLE books (
    id serial PRIMARY KEY,
    uuid uuid NOT NULL UNIQUE,
    title text NOT NULL,
    title_lower text GENERATED ALWAYS AS (lower(title)) STORED,
    author_id integer NOT NULL REFERENCES authors(id),
    price numeric(10,2) ${opts.priceCheck ? 'CHECK (price < 900)' : ''},
    tags text[] NOT NULL DEFAULT '{}',
    details jsonb,
    condition book_condition NOT NULL DEFAULT 'good',
    cover bytea,
    published_at timestamptz,
    staging_note text DEFAULT 'staging-default'
    ${opts.notNullWithoutDefault ? ', isbn text NOT NULL' : ''}
  );
  ALTER TABLE authors ADD CONSTRAINT authors_favourite_book_fk FOREIGN KEY (favourite_book_id) REFERENCES books(id) DEFERRABLE;
  CREATE TABLE reviews (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    book_id integer NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    rating integer NOT NULL,
    body text
  );
  CREATE TABLE images (
    id bigserial PRIMARY KEY,
    book_id integer NOT NULL REFERENCES books(id),
    s3_key text NOT NULL,
    content_type text NOT NULL
  );
  CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
  CREATE TABLE feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL);
  -- Secondary indexes: rebuilt after the load (the plain one) or kept throughout (the commented one).
  CREATE INDEX books_title_idx ON books (lower(title)) WHERE price > 0;
  CREATE INDEX images_book_idx ON images (book_id);
  COMMENT ON INDEX images_book_idx IS 'looked up by the image service';
  CREATE MATERIALIZED VIEW author_stats AS SELECT author_id, count(*) AS books FROM books GROUP BY author_id;
  ${
    opts.rewritingTrigger
      ? `CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := upper(NEW.body); RETURN NEW; END $$;
         CREATE TRIGGER reviews_shout BEFORE INSERT ON reviews FOR EACH ROW EXECUTE FUNCTION shout();`
      : ''
  }`;
}

function stagingData(opts: StagingOptions): string {
  return `
  INSERT INTO authors (name) SELECT 'Old author ' || g FROM generate_series(1, 12) g;
  INSERT INTO books (uuid, title, author_id, price ${opts.notNullWithoutDefault ? ', isbn' : ''})
  SELECT md5('old' || g)::uuid, 'Old book ' || g, 1 + g % 12, 9.99 ${opts.notNullWithoutDefault ? ", 'isbn-' || g" : ''}
  FROM generate_series(1, 120) g;
  INSERT INTO reviews (book_id, rating, body) SELECT 1 + g % 120, 3, 'old review' FROM generate_series(1, 40) g;
  INSERT INTO images (book_id, s3_key, content_type) SELECT id, 'books/' || id || '/cover.jpg', 'image/jpeg' FROM books;
  INSERT INTO alembic_version VALUES ('588327b');
  INSERT INTO feature_flags VALUES ('new-checkout', true), ('dark-mode', false);
  REFRESH MATERIALIZED VIEW author_stats;
`;
}

export const SHARED_TABLES = ['authors', 'books', 'reviews', 'images'] as const;

export async function seedProduction(url: string): Promise<void> {
  await query(url, PRODUCTION_SCHEMA + PRODUCTION_DATA);
}

/** Creates and seeds a staging database; with `owner`, a non-superuser role owns everything in it. */
export async function newStaging(opts: StagingOptions & { owner?: string } = {}): Promise<string> {
  const name = uniqueName('staging').replace(/-/g, '_');
  await query(adminUrl(), `CREATE DATABASE "${name}"${opts.owner ? ` OWNER "${opts.owner}"` : ''}`);
  const url = new URL(adminUrl(name));
  if (opts.owner) {
    url.username = opts.owner;
    url.password = OWNER_PASSWORD;
  }
  await query(url.href, stagingSchema(opts) + stagingData(opts));
  return url.href;
}

export const OWNER_PASSWORD = 'staging-owner-pw';

/**
 * A staging database owned by the superuser, reached as `role` with only the grants a refresh
 * needs (no ownership): it may not drop indexes, switch triggers off, alter sequences or refresh
 * materialized views.
 */
export async function newStagingWithGrantsOnly(role: string, opts: StagingOptions = {}): Promise<string> {
  const admin = await newStaging(opts);
  await query(
    admin,
    `GRANT SELECT, INSERT, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO "${role}";
     GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "${role}";`,
  );
  const url = new URL(admin);
  url.username = role;
  url.password = OWNER_PASSWORD;
  return url.href;
}

/** A role that can log in but is no superuser (so it may not set session_replication_role). */
export async function newOwnerRole(): Promise<string> {
  const role = uniqueName('stager').replace(/-/g, '_');
  await query(adminUrl(), `CREATE ROLE "${role}" LOGIN PASSWORD '${OWNER_PASSWORD}'`);
  return role;
}

/** Row count and an md5 over all rows in a fixed order: equal hashes mean equal content. */
export async function tableHash(url: string, table: string, columns?: string[]): Promise<string> {
  const row = columns ? `ROW(${columns.map((c) => `"${c}"`).join(', ')})` : 'x';
  const [hash] = await query<{ n: string; h: string }>(
    url,
    `SELECT count(*)::text AS n, md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) AS h
       FROM (SELECT ${row}::text AS r FROM "${table}" x) t`,
  );
  return `${hash!.n} rows, md5 ${hash!.h}`;
}

export async function columnsOf(url: string, table: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [`"${table}"`],
  );
  return rows.map((r) => r.name);
}

/** Columns both sides have: what "equals production's" can be compared on. */
export async function sharedColumns(a: string, b: string, table: string): Promise<string[]> {
  const [x, y] = await Promise.all([columnsOf(a, table), columnsOf(b, table)]);
  return x.filter((c) => y.includes(c));
}

/**
 * Everything a refresh could change: every row of every table and materialized view, and every
 * sequence's position. Equal snapshots mean staging is exactly as it was.
 */
export async function stagingState(url: string): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  const relations = await query<{ name: string; kind: string }>(
    url,
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm', 'S') ORDER BY 1`,
  );
  for (const { name, kind } of relations) {
    if (kind === 'S') {
      const [seq] = await query<{ v: string }>(url, `SELECT last_value::text || '/' || is_called AS v FROM "${name}"`);
      state[`sequence ${name}`] = seq!.v;
    } else {
      state[name] = await tableHash(url, name);
    }
  }
  const [columns] = await query<{ c: string }>(
    url,
    `SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, ordinal_position) AS c
       FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  state.columns = columns!.c;
  const [indexes] = await query<{ i: string }>(url, `SELECT string_agg(indexdef, E'\\n' ORDER BY indexname) AS i FROM pg_indexes WHERE schemaname = 'public'`);
  state.indexes = indexes!.i;
  return state;
}

/** Holds a lock on `table` in its own session until released, the way a busy app would. */
export async function holdLock(url: string, table: string, applicationName: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE "${table}" IN ROW EXCLUSIVE MODE`);
  return async () => {
    await client.query('ROLLBACK').catch(() => {});
    await client.end();
  };
}

/**
 * `url`'s database reached as a new role that owns nothing and may only load `table`: it cannot
 * switch triggers off, so a trigger sleeping per row makes the load slow enough to interrupt.
 */
export async function slowLoadingUrl(url: string, table: string): Promise<string> {
  const role = uniqueName('slow').replace(/-/g, '_');
  await query(adminUrl(), `CREATE ROLE "${role}" LOGIN PASSWORD 'slow-pw'`);
  await query(
    url,
    `GRANT SELECT, INSERT, TRUNCATE ON "${table}" TO "${role}";
     CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END $$;
     CREATE TRIGGER "${table}_slow" BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION slow();`,
  );
  const asRole = new URL(url);
  asRole.username = role;
  asRole.password = 'slow-pw';
  return asRole.href;
}
