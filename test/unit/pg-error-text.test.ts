import { describe, expect, it } from 'vitest';
import { hideRowValues } from '../../src/db/pg-error-text.js';

describe('hideRowValues: no row value of either database reaches a message', () => {
  it('hides the row of a check or not-null violation, keeping relation and constraint', () => {
    const text = 'new row for relation "users" violates check constraint "users_ssn_check"\nDETAIL:  Failing row contains (1, alice@example.com, 078-05-1120).';
    const out = hideRowValues(text);
    expect(out).toBe('new row for relation "users" violates check constraint "users_ssn_check"\nDETAIL:  Failing row contains (…).');
  });

  it('hides values holding parentheses, quotes and commas', () => {
    const out = hideRowValues('DETAIL: Failing row contains (7, "Smith, J. (Jr)", (1,2), null).');
    expect(out).toBe('DETAIL: Failing row contains (…).');
  });

  it('hides key values, keeping the columns and what went wrong', () => {
    expect(hideRowValues('DETAIL:  Key (email)=(a@b.c) already exists.')).toBe('DETAIL:  Key (email)=(…) already exists.');
    expect(hideRowValues('Key (author_id)=(42) is not present in table "authors".')).toBe('Key (author_id)=(…) is not present in table "authors".');
    expect(hideRowValues('Key (id)=(5) is still referenced from table "books".')).toBe('Key (id)=(…) is still referenced from table "books".');
    expect(hideRowValues('Key (lower(email), org)=(bob@x.io, (acme)) already exists.')).toBe('Key (lower(email), org)=(…) already exists.');
  });

  it('hides both keys of an exclusion conflict', () => {
    const out = hideRowValues('DETAIL:  Key (room, during)=(12, [2026-01-01,2026-01-02)) conflicts with existing key (room, during)=(12, [2026-01-01,2026-01-03)).');
    expect(out).toBe('DETAIL:  Key (room, during)=(…) conflicts with existing key (room, during)=(…).');
    expect(out).not.toContain('2026');
  });

  it('hides COPY context lines that quote the data, keeping table, line and column', () => {
    expect(hideRowValues('CONTEXT:  COPY users, line 3, column ssn: "078-05-1120"')).toBe('CONTEXT:  COPY users, line 3, column ssn');
    expect(hideRowValues('CONTEXT:  COPY users, line 3: "3\talice@example.com\t078-05-1120"')).toBe('CONTEXT:  COPY users, line 3');
  });

  it('hides values quoted by input-syntax errors and JSON token errors', () => {
    expect(hideRowValues('invalid input syntax for type integer: "alice@example.com"')).toBe('invalid input syntax for type integer: "…"');
    expect(hideRowValues('invalid input value for enum mood: "secret"')).toBe('invalid input value for enum mood: "…"');
    expect(hideRowValues('DETAIL:  Token "alice" is invalid.')).toBe('DETAIL:  Token "…" is invalid.');
  });

  it('handles multi-line text (a traceback with several errors) line by line and leaves text that holds no value alone', () => {
    const text = [
      'Traceback (most recent call last):',
      '  File "handler.py", line 40, in sync_table',
      'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "users_email_key"',
      'DETAIL:  Key (email)=(alice@example.com) already exists.',
      'psycopg2.errors.CheckViolation: new row for relation "users" violates check constraint "ssn_format"',
      'DETAIL:  Failing row contains (2, bob@example.com, 078-05-1120).',
      'CONTEXT:  COPY users, line 2, column ssn: "078-05-1120"',
      'synced 3 tables (users failed)',
    ].join('\n');
    const out = hideRowValues(text);
    for (const value of ['alice@example.com', 'bob@example.com', '078-05-1120']) expect(out).not.toContain(value);
    // A line that does not start a new message may continue a value (text with a newline): it goes with it.
    expect(out.split('\n')).toHaveLength(7);
    expect(out).toContain('duplicate key value violates unique constraint "users_email_key"');
    expect(out).toContain('Key (email)=(…) already exists.');
    expect(out).toContain('CONTEXT:  COPY users, line 2, column ssn');
  });

  it('leaves text without values as it is', () => {
    const text = 'relation "books" does not exist\nDETAIL:  There is 1 other session using the database.';
    expect(hideRowValues(text)).toBe(text);
  });
});
