import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { matchesPattern, parseDatabaseOptions } from '../../src/config/database-options.js';
import { InputSource } from '../../src/config/inputs.js';
import type { Catalog, CatalogTable } from '../../src/db/catalog.js';
import { planRefresh } from '../../src/db/refresh-plan.js';
import { matchMigrationFiles } from '../../src/github/compare.js';
import { matchExclusion } from '../../src/s3/exclusions.js';

const valid: Record<string, string> = {
  mode: 'images-only',
  'source-bucket': 'prod-images',
  'target-bucket': 'staging-images',
  'dry-run': 'true',
};
const configWith = (inputs: Record<string, string>) => buildConfig((name) => ({ ...valid, ...inputs })[name] ?? '');
const problemsOf = (inputs: Record<string, string>) => {
  const result = configWith(inputs);
  return result.ok ? [] : result.problems;
};
const excludedBy = (exclusions: string, key: string) => {
  const result = configWith({ exclusions });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return matchExclusion(result.config.exclusions, key)?.pattern;
};

describe('exclusions input', () => {
  it('empty means the defaults; `none` means nothing is excluded', () => {
    const defaults = configWith({});
    expect(defaults.ok && defaults.config.exclusions.map((r) => r.pattern)).toEqual(['lambda/', 'deploy/', 'data-import/', 'listings/']);
    const none = configWith({ exclusions: 'none' });
    expect(none.ok && none.config.exclusions).toEqual([]);
    expect(configWith({ exclusions: '# copy everything\nNone\n' }).ok && (configWith({ exclusions: 'None' }) as { config: { exclusions: unknown[] } }).config.exclusions).toEqual([]);
  });

  it('brace sets, classes and negation work', () => {
    expect(excludedBy('*.{tmp,bak}', 'a.bak')).toBe('*.{tmp,bak}');
    expect(excludedBy('*.{tmp,bak}', 'a.jpg')).toBeUndefined();
    expect(excludedBy('img_[0-9].jpg', 'img_3.jpg')).toBe('img_[0-9].jpg');
    expect(excludedBy('img_[0-9].jpg', 'img_33.jpg')).toBeUndefined();
    expect(excludedBy('lambda/\n!lambda/public/', 'lambda/public/logo.png')).toBeUndefined();
    expect(excludedBy('lambda/\n!lambda/public/', 'lambda/api.zip')).toBe('lambda/');
    expect(excludedBy('*/tmp/', 'books/tmp/x.jpg')).toBe('*/tmp/');
  });

  it('refuses bad patterns, naming each', () => {
    expect(problemsOf({ exclusions: 'lambda/\nimg_[0-9.jpg\n*.{tmp,bak\n!\n/books/*.jpg' })).toEqual([
      '`exclusions` holds `img_[0-9.jpg`, which is not a valid pattern: the `[` at character 5 is never closed; close it (`[0-9]`) or write `\\[` to match a bracket.',
      '`exclusions` holds `*.{tmp,bak`, which is not a valid pattern: the `{` at character 3 is never closed; close it (`{jpg,png}`) or write `\\{` to match a brace.',
      '`exclusions` holds `!`, which is not a valid pattern: a `!` must be followed by the pattern to re-include.',
      '`exclusions` holds `/books/*.jpg`, which is not a valid pattern: S3 keys do not start with `/`; write `books/*.jpg`.',
    ]);
    expect(problemsOf({ exclusions: 'lambda/\nnone' })).toEqual([
      '`exclusions` holds `none` among other patterns: `none` alone means nothing is excluded; remove it, or write `\\none` for a key named `none`.',
    ]);
  });
});

describe('migration-paths input', () => {
  it('keeps a comma inside braces within its pattern', () => {
    const result = buildConfig((name) => ({ ...valid, 'migration-paths': 'db/**/*.{sql,py}, schema/' })[name] ?? '');
    expect(result.ok && result.config.checks.migrationPaths).toEqual(['db/**/*.{sql,py}', 'schema/']);
    const files = ['db/migrate/0042_add_isbn.py', 'db/0001.sql', 'db/seeds.rb', 'schema/a/b.txt', 'app/db/x.py'];
    expect(matchMigrationFiles(files, ['db/**/*.{sql,py}', 'schema/'])).toEqual(['db/migrate/0042_add_isbn.py', 'db/0001.sql', 'schema/a/b.txt']);
    expect(matchMigrationFiles(['db/0001.sql', 'db/seeds/0002.sql'], ['**/*.sql', '!db/seeds/'])).toEqual(['db/0001.sql']);
  });

  it('refuses bad patterns, naming each', () => {
    expect(problemsOf({ 'migration-paths': 'db/**/*.{sql,py\nalembic/[0-9*.py' })).toEqual([
      '`migration-paths` holds `db/**/*.{sql,py`, which is not a valid pattern: the `{` at character 9 is never closed; close it (`{jpg,png}`) or write `\\{` to match a brace.',
      '`migration-paths` holds `alembic/[0-9*.py`, which is not a valid pattern: the `[` at character 9 is never closed; close it (`[0-9]`) or write `\\[` to match a bracket.',
    ]);
    expect(problemsOf({ 'migration-paths': '**/migrations/**, !**/migrations/README.md\n/db/*.sql' })).toEqual([
      '`migration-paths` holds `/db/*.sql`, which is not a valid pattern: paths in a repository do not start with `/`; write `db/*.sql`.',
    ]);
  });
});

describe('tables and exclude-tables inputs', () => {
  const parse = (inputs: Record<string, string>) => {
    const source = new InputSource((name) => inputs[name] ?? '');
    return { options: parseDatabaseOptions(source), problems: source.problems };
  };
  const table = (schema: string, name: string) => ({ schema, name });

  it('take globs on either side of the dot, brace sets with commas, classes', () => {
    const { options, problems } = parse({ tables: '{public,audit}.{books,authors}, log_[0-9]*\naudit.*' });
    expect(problems).toEqual([]);
    expect(options.tables.map((p) => p.text)).toEqual(['{public,audit}.{books,authors}', 'log_[0-9]*', 'audit.*']);
    const [pair, logs, audit] = options.tables;
    expect(matchesPattern(table('audit', 'authors'), pair!)).toBe(true);
    expect(matchesPattern(table('audit', 'notes'), pair!)).toBe(false);
    expect(matchesPattern(table('public', 'log_2024'), logs!)).toBe(true);
    expect(matchesPattern(table('public', 'log_x'), logs!)).toBe(false);
    expect(matchesPattern(table('audit', 'anything'), audit!)).toBe(true);
  });

  it('refuses bad patterns, naming each', () => {
    expect(parse({ tables: 'books_[0-9', 'exclude-tables': '{tmp,audit.x}, !books, a.b.c, bo-oks' }).problems).toEqual([
      '`tables` holds `books_[0-9`, which is not a valid pattern: the `[` at character 7 is never closed; close it (`[0-9]`) or write `\\[` to match a bracket.',
      '`exclude-tables` holds `{tmp,audit.x}`, which is not a table name (`books`, `public.books` or a glob such as `audit_*`; put the schema before the braces: `{public,audit}.books`).',
      '`exclude-tables` holds `!books`, which is not a valid pattern: a leading `!` (negation) is not supported here; list the tables to leave out in `exclude-tables`.',
      '`exclude-tables` holds `a.b.c`, which is not a table name (`books`, `public.books` or a glob such as `audit_*`).',
      '`exclude-tables` holds `bo-oks`, which is not a table name (`books`, `public.books` or a glob such as `audit_*`).',
    ]);
  });

  it('still refuses PostgreSQL\'s own schemas, also inside a brace set', () => {
    expect(parse({ tables: '{public,pg_catalog}.pg_authid' }).problems).toEqual([
      expect.stringContaining("`tables` names `{public,pg_catalog}.pg_authid`, in one of PostgreSQL's own schemas"),
    ]);
  });
});

describe('table patterns in the refresh plan', () => {
  const table = (name: string): CatalogTable => ({
    key: `public.${name}`, schema: 'public', name, oid: 1, kind: 'r', sequences: new Map(), userTriggers: [], rebuildableIndexes: [],
    columns: [{ name: 'id', type: 'integer', typeOid: 23, category: 'N', binarySafe: true, notNull: false, hasDefault: false, generated: false, identity: false }],
  });
  const side = (): Catalog => ({ tables: new Map(['books', 'authors', 'alembic_version', 'log_1', 'log_x'].map((n) => [`public.${n}`, table(n)])), extensionSchemas: [], foreignKeys: [], materializedViews: [] });
  const plan = (inputs: Record<string, string>) => {
    const source = new InputSource((name) => inputs[name] ?? '');
    const options = parseDatabaseOptions(source);
    expect(source.problems).toEqual([]);
    return Object.fromEntries(planRefresh(side(), side(), options, { source: 'production', target: 'staging' }).tables.map((t) => [t.key, t.action]));
  };

  it('a brace set of names names a migration table (copied); a wildcard does not', () => {
    expect(plan({ tables: '{books,alembic_version}' })).toEqual({
      'public.alembic_version': 'copy', 'public.authors': 'keep', 'public.books': 'copy', 'public.log_1': 'keep', 'public.log_x': 'keep',
    });
    expect(plan({ tables: '*_version, books' })['public.alembic_version']).toBe('keep');
  });

  it('exclude-tables with a class and a brace set', () => {
    expect(plan({ 'exclude-tables': 'log_[0-9], {authors,nobody}' })).toEqual({
      'public.alembic_version': 'keep', 'public.authors': 'keep', 'public.books': 'copy', 'public.log_1': 'keep', 'public.log_x': 'copy',
    });
  });
});
