import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { newReport, type RunReport } from '../../src/report/model.js';
import { refusalReply, resultReply, syntaxReply, type ReplyContext } from '../../src/trigger/reply.js';

const ctx: ReplyContext = {
  settings: { command: '/refresh-staging', targetName: 'staging', sourceName: 'production' },
  author: 'maya',
  runUrl: 'https://github.com/acme/bookshelf/actions/runs/55',
};

function report(over: Partial<RunReport>): RunReport {
  return { ...newReport({ mode: 'full', dryRun: false, sourceName: 'production', targetName: 'staging' }), ...over };
}

describe('resultReply', () => {
  it('a refresh: outcome, book counts, copy totals, version note and the run link', () => {
    const text = resultReply(
      ctx,
      report({
        database: { countTable: 'books', sourceCount: 1208, targetCountBefore: 1163, targetCountAfter: 1208, tablesCopied: 4, rowsCopied: 5000 },
        images: {
          sourceObjects: 50, sourceBytes: 1, targetObjects: 30, targetBytes: 1, excludedObjects: 5, excludedBytes: 1,
          candidateObjects: 45, candidateBytes: 1, copiedObjects: 20, copiedBytes: 2_500_000, skippedObjects: 25,
        },
        versions: {
          source: { version: '2.4.0' },
          target: { version: '2.3.1' },
          mismatch: true,
          policy: 'warn',
          decision: 'noted and went on (`on-version-mismatch: warn`)',
          code: { compared: true, migrationFiles: ['backend/alembic/versions/0042_add_isbn.py'] },
        },
      }),
      { targetNamed: true, dryRun: false },
    );
    expect(text).toContain('### 🚀 staging refreshed from production');
    expect(text).toContain('[workflow run](https://github.com/acme/bookshelf/actions/runs/55)');
    expect(text).toContain('| rows | 1,208 | 1,163 | 1,208 |');
    expect(text).toContain('Database: 4 tables, 5,000 rows copied.');
    expect(text).toContain('Images: 20 objects copied (2.5 MB), 25 already identical, 5 excluded.');
    expect(text).toContain(
      '⚠️ Version mismatch: production runs `2.4.0`, staging runs `2.3.1` — noted and went on (`on-version-mismatch: warn`). Migrations between them: `backend/alembic/versions/0042_add_isbn.py`.',
    );
    expect(text).not.toContain('To refresh staging for real');
  });

  it('a dry run says how to confirm, keeping the requested mode', () => {
    const text = resultReply(ctx, report({ dryRun: true, outcome: 'dry-run', mode: 'db-only' }), { mode: 'db-only', targetNamed: false, dryRun: true });
    expect(text).toContain('🔍 Dry run');
    expect(text).toContain('To refresh staging for real, comment `/refresh-staging staging db-only`');
  });

  it('a failure names the step and the state of the target', () => {
    const text = resultReply(
      ctx,
      report({ outcome: 'failed', failure: { step: 'Copy images', message: 'Access Denied', targetState: 'unchanged' }, versionMismatch: false }),
      { targetNamed: true, dryRun: false },
    );
    expect(text).toContain('### ❌ Refresh of staging failed');
    expect(text).toContain('**Failed at step “Copy images”:** Access Denied');
    expect(text).toContain('staging is unchanged.');
    expect(text).toContain('Versions: both environments run the same code.');
  });
});

describe('refusal and syntax replies', () => {
  it('say who may run the command, and how to write it', () => {
    expect(refusalReply(ctx, 'read', ['admin', 'maintain', 'write'], 'acme/bookshelf')).toContain(
      'only people with `admin`, `maintain` or `write` access to acme/bookshelf may run `/refresh-staging`; your access is `read`',
    );
    const syntax = syntaxReply(ctx, ['unknown flag `--force`: the only flag is `--dry-run`.']);
    expect(syntax).toContain('- unknown flag `--force`');
    expect(syntax).toContain('Syntax: `/refresh-staging [staging] [full|db-only|images-only] [--dry-run]`');
  });
});

describe('trigger inputs', () => {
  it('reject unknown permission levels and a command that is not a slash command', () => {
    const result = buildConfig((name) => ({ 'dry-run': 'true', mode: 'images-only', 'source-bucket': 'aaa', 'target-bucket': 'bbb', command: 'refresh', 'allowed-permissions': 'admin,owner' })[name] ?? '');
    expect(!result.ok && result.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('`command` must be a slash command'),
        '`allowed-permissions` may list only admin, maintain, write, triage, read, got `owner`.',
      ]),
    );
  });
});
