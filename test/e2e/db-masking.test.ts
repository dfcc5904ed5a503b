import { beforeAll, describe, expect, it } from 'vitest';
import { stagingState } from '../harness/db-fixtures.js';
import { runAction } from '../harness/run-action.js';
import { newDatabase, query } from '../harness/servers.js';

/** Issue 12: personal data is masked inside production's query; staging never sees a real value. */

const SCHEMA = `
  CREATE TABLE users (
    id serial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    full_name text,
    phone text,
    ssn text,
    bio text,
    contact text,
    external_id uuid,
    age int
  );
  CREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users, total numeric(10,2));
`;
const PRODUCTION_ROWS = `
  INSERT INTO users (email, full_name, phone, ssn, bio, contact, external_id, age)
  SELECT 'person' || g || '@corp.example', 'Real Name ' || g, '+44 7700 9' || lpad(g::text, 5, '0'), '078-05-' || lpad(g::text, 4, '0'),
         'Lives at ' || g || ' Baker Street', 'alt' || g || '@mail.example', md5('u' || g)::uuid, 20 + g % 50
  FROM generate_series(1, 300) g;
  INSERT INTO orders (user_id, total) SELECT 1 + g % 300, g * 1.5 FROM generate_series(1, 600) g;
`;
const RULES = `
  # users: everything that names a person
  public.users.email: email
  users.full_name: name
  users.phone: phone
  users.ssn: hash
  users.bio: text
  users.contact: email-keep-domain
  users.external_id: uuid
`;

const refresh = (production: string, staging: string, inputs: Record<string, string> = {}) =>
  runAction({ mode: 'db-only', confirm: 'staging', 'source-database-url': production, 'target-database-url': staging, ...inputs });

async function newPair(): Promise<{ production: string; staging: string }> {
  const [production, staging] = await Promise.all([newDatabase('prod'), newDatabase('staging')]);
  await query(production, SCHEMA + PRODUCTION_ROWS);
  await query(staging, SCHEMA + `INSERT INTO users (email) VALUES ('old@staging.example');`);
  return { production, staging };
}

describe('masking at the source (db-method copy)', () => {
  let production: string;
  let staging: string;
  let first: Awaited<ReturnType<typeof refresh>>;

  beforeAll(async () => {
    ({ production, staging } = await newPair());
    first = await refresh(production, staging, { masking: RULES, 'masking-salt': 'salt-one' });
  });

  it('refreshes, and no production value of a masked column is in any column of any table of staging', async () => {
    expect(first.exitCode, first.log).toBe(0);
    const secrets = await query<{ v: string }>(
      production,
      `SELECT unnest(ARRAY[email, full_name, phone, ssn, bio, contact, external_id::text]) AS v FROM users`,
    );
    // Every row of every table in staging, as text.
    const tables = await query<{ name: string }>(staging, `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`);
    let all = '';
    for (const { name } of tables) {
      const rows = await query<{ t: string | null }>(staging, `SELECT string_agg(to_jsonb(x)::text, E'\\n') AS t FROM "${name}" x`);
      all += rows[0]!.t ?? '';
    }
    const leaked = secrets.filter(({ v }) => all.includes(v));
    expect(leaked).toEqual([]);
    expect(await query(staging, `SELECT count(*)::int AS n FROM users WHERE email LIKE 'user\\_%@example.com' AND contact LIKE '%@mail.example'`)).toEqual([{ n: 300 }]);
    // Same length, letters gone; ages and ids untouched; orders still join.
    expect(await query(staging, `SELECT count(*)::int AS n FROM users s WHERE bio ~ '^[x ]+$'`)).toEqual([{ n: 300 }]);
    expect(await query(staging, 'SELECT sum(age)::int AS s FROM users')).toEqual(await query(production, 'SELECT sum(age)::int AS s FROM users'));
    expect(await query(staging, 'SELECT count(*)::int AS n FROM orders o JOIN users u ON u.id = o.user_id')).toEqual([{ n: 600 }]);
  });

  it('keeps e-mail addresses unique (the UNIQUE constraint held), and says per column which rule masked it', async () => {
    expect(await query(staging, 'SELECT count(DISTINCT email)::int AS n FROM users')).toEqual([{ n: 300 }]);
    expect(first.summary).toContain("**Masked in production's query** (values never left it):");
    expect(first.summary).toContain('- `public.users`: `email`: email, `full_name`: name, `phone`: phone, `ssn`: hash, `bio`: text, `contact`: email-keep-domain, `external_id`: uuid');
    for (const text of [first.visibleLog, first.summary]) {
      expect(text).not.toContain('person1@corp.example');
      expect(text).not.toContain('salt-one');
    }
  });

  it('gives the same masked values for the same salt, and other values for another salt', async () => {
    const before = await query(staging, 'SELECT id, email, full_name, phone, ssn, external_id FROM users ORDER BY id');
    const again = await refresh(production, staging, { masking: RULES, 'masking-salt': 'salt-one' });
    expect(again.exitCode, again.log).toBe(0);
    expect(await query(staging, 'SELECT id, email, full_name, phone, ssn, external_id FROM users ORDER BY id')).toEqual(before);
    const other = await refresh(production, staging, { masking: RULES, 'masking-salt': 'salt-two' });
    expect(other.exitCode, other.log).toBe(0);
    expect(await query(staging, 'SELECT email FROM users WHERE id = 1')).not.toEqual(before.slice(0, 1).map((r) => ({ email: r.email })));
  });
});

describe('masking refusals and unmasked personal data', () => {
  it('a rule naming a missing column, or a type it cannot fill, fails before anything changes', async () => {
    const { production, staging } = await newPair();
    const before = await stagingState(staging);
    const result = await refresh(production, staging, { masking: `users.emial: email\nusers.age: email\nusers.full_name: nonsense` });
    expect(result.exitCode, result.log).toBe(1);
    expect(result.visibleLog).toContain('unknown rule `nonsense`');
    const fixed = await refresh(production, staging, { masking: `users.emial: email\nusers.age: email` });
    expect(fixed.exitCode, fixed.log).toBe(1);
    expect(fixed.visibleLog).toContain("`masking` names `public.users.emial`, and production's `public.users` has no column `emial`");
    expect(fixed.visibleLog).toContain('`masking` rule `email` makes text, and `public.users.age` is integer');
    expect(fixed.summary).toContain('staging is unchanged (nothing was written)');
    expect(await stagingState(staging)).toEqual(before);
  });

  it('a dry run lists unmasked personal columns (by name and by sampled values); `on-unmasked-pii: fail` stops a real run', async () => {
    const { production, staging } = await newPair();
    const dry = await refresh(production, staging, { 'dry-run': 'true', masking: 'users.email: email' });
    expect(dry.exitCode, dry.log).toBe(0);
    expect(dry.summary).toMatch(/column\(s\) `public.users.full_name`, `public.users.phone`, `public.users.ssn`, `public.users.contact` look personal/);
    expect(dry.summary).toContain('No `masking-salt`');

    const before = await stagingState(staging);
    const refused = await refresh(production, staging, { masking: 'users.email: email', 'on-unmasked-pii': 'fail' });
    expect(refused.exitCode, refused.log).toBe(1);
    expect(refused.visibleLog).toContain('(`on-unmasked-pii: fail`)');
    expect(await stagingState(staging)).toEqual(before);

    const kept = await refresh(production, staging, { masking: RULES.replace('users.contact: email-keep-domain', 'users.contact: keep') + '\nusers.ssn: null', 'on-unmasked-pii': 'fail' });
    // ssn named twice: refused as an input problem.
    expect(kept.exitCode).toBe(1);
    expect(kept.visibleLog).toContain('`masking` names `public.users.ssn` twice');
  });

  it('is refused with db-method dump', async () => {
    const { production, staging } = await newPair();
    const result = await refresh(production, staging, { 'db-method': 'dump', masking: 'users.email: email' });
    expect(result.exitCode).toBe(1);
    expect(result.visibleLog).toContain('`masking` needs `db-method: copy`');
  });
});
