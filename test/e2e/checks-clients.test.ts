import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATION_PATHS } from '../../src/config/checks-options.js';
import { diffSchemas, type SchemaShape } from '../../src/db/schema-compare.js';
import { matchMigrationFiles } from '../../src/github/compare.js';
import { httpRequest, NetworkError, requestWithRetries } from '../../src/health/http.js';

/** The HTTP client's timeouts and retries against real local servers, and the pure matchers. */

async function server(handler: http.RequestListener) {
  const s = http.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve()))),
  };
}

describe('HTTP client', () => {
  it('gives up on a server that accepts but never answers, after the total timeout', async () => {
    const hanging = await server(() => {});
    try {
      const started = Date.now();
      await expect(httpRequest(`${hanging.url}/health/info`, { totalTimeoutMs: 300 })).rejects.toThrow(new NetworkError('no complete answer within 0.3 s'));
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await hanging.close();
    }
  });

  it('retries 5xx twice with backoff, then returns the last answer', async () => {
    let calls = 0;
    const flaky = await server((_req, res) => {
      calls++;
      res.writeHead(503).end('{"status":"unhealthy"}');
    });
    try {
      const waits: number[] = [];
      const response = await requestWithRetries(`${flaky.url}/x`, {}, { backoffMs: 10, onRetry: (_n, _reason, ms) => waits.push(ms) });
      expect(response.status).toBe(503);
      expect(calls).toBe(3);
      expect(waits).toEqual([10, 20]);
    } finally {
      await flaky.close();
    }
  });

  it('does not retry a 4xx', async () => {
    let calls = 0;
    const missing = await server((_req, res) => {
      calls++;
      res.writeHead(404).end();
    });
    try {
      expect((await requestWithRetries(`${missing.url}/x`, {}, { backoffMs: 10 })).status).toBe(404);
      expect(calls).toBe(1);
    } finally {
      await missing.close();
    }
  });
});

describe('migration-paths', () => {
  it('the defaults catch the usual migration folders and SQL files, not docs', () => {
    const globs = DEFAULT_MIGRATION_PATHS.split('\n');
    const changed = [
      'README.md',
      'docs/deploy.md',
      'backend/alembic/versions/0042_add_isbn.py',
      'migrations/0001_init.py',
      'app/db/migrate/20260111_add_reviews.rb',
      'prisma/migrations/20260111/migration.sql',
      'scripts/fix.sql',
      'src/models/migrations.ts',
    ];
    expect(matchMigrationFiles(changed, globs)).toEqual([
      'backend/alembic/versions/0042_add_isbn.py',
      'migrations/0001_init.py',
      'app/db/migrate/20260111_add_reviews.rb',
      'prisma/migrations/20260111/migration.sql',
      'scripts/fix.sql',
    ]);
  });

  it('a pattern ending in / is a folder', () => {
    expect(matchMigrationFiles(['schema/v2/a.json', 'src/schema.ts'], ['schema/'])).toEqual(['schema/v2/a.json']);
  });
});

describe('diffSchemas', () => {
  const shape = (tables: Record<string, Record<string, [string, boolean]>>): SchemaShape =>
    new Map(Object.entries(tables).map(([t, cols]) => [t, new Map(Object.entries(cols).map(([c, [type, nullable]]) => [c, { type, nullable }]))]));

  it('is empty for identical schemas', () => {
    const s = shape({ 'public.books': { id: ['integer', false], title: ['text', false] } });
    expect(diffSchemas(s, shape({ 'public.books': { id: ['integer', false], title: ['text', false] } }), { source: 'p', target: 's' })).toEqual([]);
  });

  it('names each difference from both sides', () => {
    const production = shape({ 'public.books': { id: ['integer', false], isbn: ['text', true], pages: ['bigint', true] } });
    const staging = shape({ 'public.books': { id: ['integer', true], pages: ['integer', true], legacy: ['text', false] }, 'public.tmp': {} });
    expect(diffSchemas(production, staging, { source: 'production', target: 'staging' })).toEqual([
      'column `public.books.id`: NOT NULL in production, nullable in staging',
      'column `public.books.isbn` (text) only in production',
      'column `public.books.pages`: bigint in production, integer in staging',
      'column `public.books.legacy` (text NOT NULL) only in staging',
      'table `public.tmp` only in staging',
    ]);
  });
});
