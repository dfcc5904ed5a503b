import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildConfig } from '../../src/config/config.js';
import { parseDatabaseUrl } from '../../src/config/database-url.js';
import { parseDuration } from '../../src/config/inputs.js';
import { PROJECT_ROOT } from '../harness/run-action.js';

interface ActionInput {
  default?: string;
}
const action = parse(readFileSync(path.join(PROJECT_ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, ActionInput> };

const valid: Record<string, string> = {
  'source-database-url': 'postgresql://reader:secret@prod.db:5432/app',
  'target-database-url': 'postgresql://writer:secret2@staging.db:5432/app',
  'source-bucket': 'prod-images',
  'target-bucket': 'staging-images',
  'dry-run': 'true',
};
const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';

describe('action.yml and the config parser', () => {
  it('declare the same inputs', () => {
    const result = buildConfig(reader(valid));
    expect([...result.inputsRead].sort()).toEqual(Object.keys(action.inputs).sort());
  });

  it('apply the same defaults: an empty input means what action.yml says', () => {
    const withDefaults: Record<string, string> = { ...valid };
    for (const [name, spec] of Object.entries(action.inputs)) {
      if (spec.default !== undefined && !spec.default.includes('${{') && !(name in valid)) withDefaults[name] = spec.default;
    }
    const a = buildConfig(reader(valid));
    const b = buildConfig(reader(withDefaults));
    expect(a.ok && b.ok).toBe(true);
    expect(JSON.stringify(a.ok && a.config)).toEqual(JSON.stringify(b.ok && b.config));
  });
});

describe('config', () => {
  it('requires what the mode needs, and only that', () => {
    const result = buildConfig(reader({ mode: 'db-only', 'dry-run': 'true' }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      '`source-database-url` (or `source-database-secret-id`) is required when `mode` is `db-only` (or use `mode: images-only`).',
      '`target-database-url` (or `target-database-secret-id`) is required when `mode` is `db-only` (or use `mode: images-only`).',
    ]);
  });

  it('accepts s3:// bucket names and strips the trailing slash of API URLs', () => {
    const result = buildConfig(reader({ ...valid, 'source-bucket': 's3://prod-images/', 'source-api-url': 'https://api.example.com/' }));
    expect(result.ok && result.config.source).toMatchObject({ bucket: 'prod-images', apiUrl: 'https://api.example.com' });
  });

  it('collects the passwords of database URLs as secrets, even from an invalid URL', () => {
    const result = buildConfig(reader({ ...valid, 'source-database-url': 'mysql://u:hunter%402@db/app' }));
    expect(result.ok).toBe(false);
    expect(result.secrets).toContain('hunter@2');
    expect(result.secrets).toContain('secret2');
  });
});

describe('parseDatabaseUrl', () => {
  it('decodes passwords holding @, : and %', () => {
    const db = parseDatabaseUrl('postgresql://app:p%40ss%3Aw%25rd@db.internal:6543/books?sslmode=require&application_name=sync');
    expect(db).toMatchObject({
      user: 'app',
      password: 'p@ss:w%rd',
      host: 'db.internal',
      port: 6543,
      database: 'books',
      sslmode: 'require',
      options: { application_name: 'sync' },
    });
    expect('display' in db && db.display).not.toContain('p%40ss');
  });

  it('reads IPv6 hosts, default ports and host= query options', () => {
    expect(parseDatabaseUrl('postgres://u@[::1]/db')).toMatchObject({ host: '::1', port: 5432 });
    expect(parseDatabaseUrl('postgresql:///db?host=/var/run/postgresql')).toMatchObject({ host: '/var/run/postgresql' });
  });

  it('explains what is wrong without echoing the URL', () => {
    const cases = ['not a url', 'mysql://u:pw@h/db', 'postgres://u:pw@h:5432/', 'postgres://u:pw@h/db?sslmode=sometimes'];
    for (const text of cases) {
      const result = parseDatabaseUrl(text);
      expect(result).toHaveProperty('error');
      expect(JSON.stringify(result)).not.toContain('pw');
    }
  });
});

describe('parseDuration', () => {
  it('reads s, m, h, ms and bare seconds', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('45')).toBe(45_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});
