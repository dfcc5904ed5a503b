import { describe, expect, it } from 'vitest';
import { describePgError } from '../../src/db/copy-engine.js';
import { hideRowValues } from '../../src/db/pg-error-text.js';

// Captured from PostgreSQL 15 (pg_restore 15.18, psql and node-postgres errors), values made up.
const RESTORE_STDERR = `pg_restore: error: COPY failed for table "a_orders": ERROR:  new row for relation "a_orders" violates check constraint "a_orders_customer_id_check"
DETAIL:  Failing row contains (1, 1, alice@secret.example).
CONTEXT:  COPY a_orders, line 1: "1	1	alice@secret.example"
`;
const PSQL_STDERR = `ERROR:  duplicate key value violates unique constraint "u_email_key"
DETAIL:  Key (email)=(bob@secret.example) already exists.
CONTEXT:  COPY u, line 1
ERROR:  invalid input syntax for type integer: "notanint"
CONTEXT:  COPY u, line 1, column id: "notanint"
`;
const NODE_ERRORS = [
  { message: 'duplicate key value violates unique constraint "u_lower"', detail: 'Key (lower(email))=(bob@secret.example) already exists.' },
  { message: 'insert or update on table "c" violates foreign key constraint "c_p_id_fkey"', detail: 'Key (p_id)=(99) is not present in table "p".' },
  { message: 'update or delete on table "p" violates foreign key constraint "c_p_id_fkey" on table "c"', detail: 'Key (id)=(7) is still referenced from table "c".' },
  { message: 'null value in column "note" of relation "n" violates not-null constraint', detail: 'Failing row contains (1, null).' },
  { message: 'conflicting key value violates exclusion constraint "ex_r_excl"', detail: 'Key (r)=([2,3)) conflicts with existing key (r)=([1,5)).' },
  { message: 'invalid input syntax for type integer: "secret-x"' },
];

describe('hideRowValues on captured pg_restore, psql and node-postgres messages', () => {
  it("hides pg_restore's failing row and COPY line, keeping table and constraint names", () => {
    const text = hideRowValues(RESTORE_STDERR);
    expect(text).not.toContain('alice');
    expect(text).toContain('COPY failed for table "a_orders"');
    expect(text).toContain('violates check constraint "a_orders_customer_id_check"');
    expect(text).toContain('Failing row contains (…)');
    expect(text).toContain('CONTEXT:  COPY a_orders, line 1\n');
  });

  it('hides key values and column values from COPY errors', () => {
    const text = hideRowValues(PSQL_STDERR);
    expect(text).not.toMatch(/bob|notanint/);
    expect(text).toContain('Key (email)=(…) already exists.');
    expect(text).toContain('invalid input syntax for type integer: "…"');
    expect(text).toContain('COPY u, line 1, column id\n');
  });

  it('leaves no value in the messages node-postgres errors turn into', () => {
    const texts = NODE_ERRORS.map((e) => hideRowValues(describePgError(e)));
    expect(texts.join('\n')).not.toMatch(/bob|secret|99|\[2,3\)|\[1,5\)|\(7\)|\(1, null\)/);
  });

  it('hides a value that spans lines (a text column holding a newline)', () => {
    const text = hideRowValues('ERROR:  x\nDETAIL:  Failing row contains (1, first line\nsecond line).\nHINT:  keep me');
    expect(text).toBe('ERROR:  x\nDETAIL:  Failing row contains (…).\nHINT:  keep me');
  });
});
