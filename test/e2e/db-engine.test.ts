import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { copyDatabase } from '../../src/db/copy-engine.js';
import { tableHash } from '../harness/db-fixtures.js';
import { newDatabase, query } from '../harness/servers.js';

/** The engine called directly (not through the bundle), to watch its progress log closely. */
describe('copy engine progress', () => {
  it('logs rows, bytes and MB/s while a large table streams, and copies it exactly', async () => {
    const [production, staging] = await Promise.all([newDatabase('prod'), newDatabase('staging')]);
    const schema = `CREATE TABLE events (id bigserial PRIMARY KEY, payload text NOT NULL, tags text[]);`;
    await query(production, `${schema} INSERT INTO events (payload, tags) SELECT repeat(md5(g::text), 8), ARRAY[g::text] FROM generate_series(1, 60000) g`);
    await query(staging, schema);
    const source = new pg.Client({ connectionString: production });
    const target = new pg.Client({ connectionString: staging });
    await Promise.all([source.connect(), target.connect()]);
    const lines: string[] = [];
    try {
      const result = await copyDatabase({
        source,
        target,
        options: { schemas: ['public'], tables: [], excludeTables: [], lockTimeoutMs: 5000, postSyncSql: '' },
        names: { source: 'production', target: 'staging' },
        log: (line) => lines.push(line),
        progressSeconds: 0.02,
      });
      expect(result.rowsCopied).toBe(60_000);
      expect(result.tables[0]).toMatchObject({ table: 'public.events', format: 'binary', rowsCopied: 60_000 });
    } finally {
      await Promise.all([source.end(), target.end()]);
    }
    const progress = lines.filter((l) => l.includes('so far'));
    expect(progress.length, lines.join('\n')).toBeGreaterThan(0);
    expect(progress[0]).toMatch(/^ {2}public\.events: [\d,]+ rows, [\d.]+ [KM]B so far \([\d.]+ [KM]?B\/s\)$/);
    expect(await tableHash(staging, 'events')).toBe(await tableHash(production, 'events'));
  });
});
