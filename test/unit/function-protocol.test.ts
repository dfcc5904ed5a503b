import { describe, expect, it } from 'vitest';
import { parseFunctionOptions } from '../../src/config/function-options.js';
import { parseEvent, PROTOCOL } from '../../src/function/protocol.js';
import { refuseEvent } from '../../src/function/run.js';

const event = (extra: Record<string, unknown> = {}) => ({ protocol: PROTOCOL, version: 1, action: 'refresh', target: 'staging', confirm: 'staging', options: { schemas: ['public'], excludeTables: ['audit_*'], countTable: 'public.books', lockTimeoutMs: 5000, masking: { rules: ['users.email: email'], onUnmaskedPii: 'fail' } }, ...extra });
const config = parseFunctionOptions({ SOURCE_SECRET_ARN: 's', TARGET_SECRET_ARN: 't', TARGET_NAME: 'staging' });

describe('the function protocol', () => {
  it("reads the options with the action's own parsers", () => {
    const parsed = parseEvent(event());
    expect(parsed).toMatchObject({ action: 'refresh', countTable: { schema: 'public', name: 'books' }, options: { lockTimeoutMs: 5000, excludeTables: [{ name: 'audit_*' }], masking: { onUnmaskedPii: 'fail', rules: [{ table: 'users', column: 'email', rule: 'email' }] } } });
  });

  it('refuses another protocol, another version and invalid options, saying why', () => {
    expect(parseEvent({ tables: 'all' })).toEqual({ error: `the event is not of the \`${PROTOCOL}\` protocol` });
    expect(parseEvent(event({ version: 2 }))).toMatchObject({ error: expect.stringContaining("deploy the function of the action's release") });
    expect(parseEvent(event({ options: { schemas: ['pg_catalog'] } }))).toMatchObject({ error: expect.stringContaining("one of PostgreSQL's own schemas") });
  });

  it('refuses a refresh without confirmation or for another target; an inspection needs no confirmation', () => {
    if ('error' in config) throw new Error(config.error);
    const check = (e: Record<string, unknown>) => {
      const parsed = parseEvent(e);
      if ('error' in parsed) throw new Error(parsed.error);
      return refuseEvent(parsed, config);
    };
    expect(check(event({ confirm: undefined }))).toContain('a refresh needs `confirm` equal to `staging`');
    expect(check(event({ confirm: 'production' }))).toContain('got `production`');
    expect(check(event({ target: 'production', confirm: 'production' }))).toContain('refreshes only `staging` (TARGET_NAME)');
    expect(check(event({ action: 'inspect', confirm: undefined }))).toBeUndefined();
    expect(check(event())).toBeUndefined();
  });

  it('the environment: required names, TLS verified when a CA bundle is given', () => {
    expect(parseFunctionOptions({})).toEqual({ error: expect.stringContaining('lacks SOURCE_SECRET_ARN, TARGET_SECRET_ARN, TARGET_NAME') });
    expect(config).toMatchObject({ sslmode: 'require', sourceName: 'production' });
    expect(parseFunctionOptions({ SOURCE_SECRET_ARN: 's', TARGET_SECRET_ARN: 't', TARGET_NAME: 'staging', DB_CA_BUNDLE: '/opt/rds-ca/global-bundle.pem' })).toMatchObject({ sslmode: 'verify-full', caBundle: '/opt/rds-ca/global-bundle.pem' });
    expect(parseFunctionOptions({ SOURCE_SECRET_ARN: 's', TARGET_SECRET_ARN: 't', TARGET_NAME: 'staging', DB_SSLMODE: 'bogus' })).toMatchObject({ error: expect.stringContaining('DB_SSLMODE must be one of') });
  });
});
