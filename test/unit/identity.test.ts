import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { poolDirectory } from '../../src/identity/directory.js';

/** Issue 12 item 4: the `cognito-user-pool-id` / `identity-*` inputs, and what the pool listing keeps. */

const base: Record<string, string> = {
  mode: 'db-only',
  'source-database-url': 'postgresql://reader:secret@prod.db:5432/app',
  'target-database-url': 'postgresql://writer:secret2@staging.db:5432/app',
  'dry-run': 'true',
  'cognito-user-pool-id': 'eu-west-2_AbC123xyz',
};
const build = (inputs: Record<string, string>) => buildConfig((name) => inputs[name] ?? '');
const problems = (inputs: Record<string, string>) => {
  const result = build(inputs);
  return result.ok ? [] : result.problems;
};

describe('identity inputs', () => {
  it('default to users.email → users.cognito_sub, clearing unmatched subjects, in the pool\'s own region', () => {
    const result = build(base);
    expect(result.ok && result.config.identity).toEqual({
      userPoolId: 'eu-west-2_AbC123xyz',
      region: 'eu-west-2',
      table: { schema: 'public', name: 'users' },
      emailColumn: 'email',
      subjectColumn: 'cognito_sub',
      unmatched: 'null',
    });
  });

  it('take a schema-qualified table, other columns and another policy', () => {
    const result = build({ ...base, schemas: 'public\nauth', 'identity-table': 'auth.accounts', 'identity-email-column': 'login', 'identity-subject-column': 'idp_id', 'identity-unmatched': 'fail' });
    expect(result.ok && result.config.identity).toMatchObject({ table: { schema: 'auth', name: 'accounts' }, emailColumn: 'login', subjectColumn: 'idp_id', unmatched: 'fail' });
  });

  it('are absent without a pool id, and for an images-only run', () => {
    const without = build({ ...base, 'cognito-user-pool-id': '' });
    expect(without.ok && without.config.identity).toBeUndefined();
    const images = build({ ...base, mode: 'images-only', 'source-bucket': 'prod-images', 'target-bucket': 'staging-images' });
    expect(images.ok && images.config.identity).toBeUndefined();
  });

  it('refuse a malformed pool id, table, columns or policy, saying what to write', () => {
    expect(problems({ ...base, 'cognito-user-pool-id': 'StAgInG42', 'identity-table': 'a.b.c', 'identity-email-column': 'e-mail', 'identity-unmatched': 'drop' })).toEqual([
      '`identity-unmatched` must be one of null, keep, fail, got `drop`.',
      '`cognito-user-pool-id` must be a Cognito user pool id such as `us-east-1_AbC123xyz` (its region, `_`, letters and digits), got `StAgInG42`.',
      '`identity-table` must be a table name, optionally schema-qualified (e.g. `users` or `public.users`), got `a.b.c`.',
      '`identity-email-column` must be a column name (e.g. `email`), got `e-mail`.',
    ]);
    expect(problems({ ...base, 'identity-subject-column': 'email' })).toEqual([
      '`identity-email-column` and `identity-subject-column` are both `email`: the subject would overwrite the e-mail it is matched on. Name the column that holds the Cognito `sub`.',
    ]);
  });

  it('refuse identity inputs without a pool id (the remap would silently not happen)', () => {
    expect(problems({ ...base, 'cognito-user-pool-id': '', 'identity-unmatched': 'fail' })).toEqual([
      "`identity-unmatched` is set but `cognito-user-pool-id` is empty: give staging's user pool id (e.g. `us-east-1_AbC123xyz`) to re-point users at it, or remove it.",
    ]);
  });

  it('refuse db-method dump: there is no refresh transaction to re-point users in', () => {
    expect(problems({ ...base, 'db-method': 'dump' })).toEqual([
      "`cognito-user-pool-id` needs `db-method: copy`: users are re-pointed at staging's pool inside the refresh transaction, which `db-method: dump` does not have. Use `db-method: copy`, or re-point them yourself after the run.",
    ]);
  });

  it('refuse an identity table the refresh does not replace', () => {
    const message = (key: string) =>
      `\`identity-table\` \`${key}\` is not among the tables the refresh replaces (see \`schemas\`, \`tables\` and \`exclude-tables\`): staging keeps its own rows there, already pointing at its own pool. Include the table, or remove \`cognito-user-pool-id\`.`;
    expect(problems({ ...base, 'exclude-tables': 'user*' })).toEqual([message('public.users')]);
    expect(problems({ ...base, tables: 'books' })).toEqual([message('public.users')]);
    expect(problems({ ...base, 'identity-table': 'auth.users' })).toEqual([message('auth.users')]);
  });

  it('refuse masking the e-mail column users are matched on; `keep` and rules on other columns are fine', () => {
    expect(problems({ ...base, masking: 'public.users.email: email-keep-domain' })).toEqual([
      "`masking` rewrites `public.users.email` (`public.users.email: email-keep-domain`), the column users are matched on with staging's Cognito pool: a masked address matches no pool user, so every row would lose its identity. Drop that rule (or make it `keep`) to re-point users, or remove `cognito-user-pool-id`.",
    ]);
    expect(problems({ ...base, masking: 'users.email: keep\nusers.full_name: name\nusers.cognito_sub: uuid' })).toEqual([]);
  });
});

describe('the pool listing', () => {
  it('keeps e-mail and sub of each user, and counts users it cannot match', () => {
    const directory = poolDirectory([
      { sub: 'a-sub', email: 'A@Example.com', email_verified: 'true' },
      { sub: 'b-sub', phone_number: '+15550100' },
      { sub: 'c-sub', email: ' c@example.com ' },
      { email: 'no-sub@example.com' },
    ]);
    expect(directory).toEqual({ emails: ['A@Example.com', 'c@example.com'], subs: ['a-sub', 'c-sub'], users: 4, withoutEmail: 2 });
  });
});
