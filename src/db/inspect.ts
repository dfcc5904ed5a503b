import type pg from 'pg';
import type { RunContext } from '../context.js';
import { probeIdentityRemap } from '../identity/remap.js';
import { formatCount } from '../report/format.js';
import { connectDatabase, countRows, serverIdentity } from './connect.js';
import { describeRefresh } from './dry-run.js';
import { planFromServers, planProblemsMessage } from './read-plan.js';
import { waitForRunningRefresh } from './refresh-lock.js';
import { StepError } from '../plan/runner.js';
import { NOTHING_WRITTEN } from './refresh-error.js';

/**
 * Connects read-only to both databases, refuses when they are the same database, and records
 * the headline row counts.
 */
export async function inspectDatabases(ctx: RunContext): Promise<string> {
  const { source, target, countTable } = ctx.config;
  const tableName = `${countTable.schema}.${countTable.name}`;
  const src = await connectDatabase(source.database!, source.name, { readOnly: true });
  try {
    const tgt = await connectDatabase(target.database!, target.name, { readOnly: true });
    try {
      await waitForRunningRefresh(tgt.client, { source: source.name, target: target.name }, ctx.config.database.lockTimeoutMs);
      // Counting waits for table locks (staging's app, a migration): at most `lock-timeout`.
      const lockTimeout = `${Math.max(1, Math.round(ctx.config.database.lockTimeoutMs))}ms`;
      for (const client of [src.client, tgt.client]) await client.query(`SELECT set_config('lock_timeout', $1, false)`, [lockTimeout]);
      const [sourceId, targetId] = await Promise.all([serverIdentity(src.client), serverIdentity(tgt.client)]);
      if (sourceId === targetId) {
        throw new Error(
          `\`source-database-url\` and \`target-database-url\` reach the same database (the server reports the same identity for ${src.label} and ${tgt.label}); refusing to copy a database onto itself. Point \`target-database-url\` at ${target.name}'s database.`,
        );
      }
      const [sourceCount, targetCount] = await Promise.all([
        countRows(src.client, countTable),
        countRows(tgt.client, countTable),
      ]);
      ctx.report.database = { ...ctx.report.database, countTable: tableName, sourceCount, targetCountBefore: targetCount };
      if (sourceCount === undefined) ctx.note('warning', `${source.name} has no table \`${tableName}\` (\`count-table\`): no headline count.`);
      if (targetCount === undefined) ctx.note('info', `${target.name} has no table \`${tableName}\` yet.`);
      const headline = `${tableName}: ${source.name} ${formatCount(sourceCount)}, ${target.name} ${formatCount(targetCount)}`;
      // On a dry run, say table by table what the refresh would do (the connections are read-only).
      const masking = ctx.config.database.masking;
      if (masking.rules.length > 0 && masking.salt === undefined) {
        ctx.note('info', 'No `masking-salt`: masked values come from a random key of this run, so they differ from run to run. Set `masking-salt` (a secret) to keep them stable.');
      }
      if (ctx.config.identity) await checkIdentityRemap(ctx, tgt.client);
      if (ctx.config.dryRun) return `${headline}; ${await describeRefresh(ctx, src.client, tgt.client)}`;
      if (ctx.config.database.method === 'copy') {
        // Refuse now, before any step writes to either store (images are copied before the database).
        const names = { source: source.name, target: target.name };
        const { problems } = await planFromServers(src.client, tgt.client, ctx.config.database, names);
        if (problems.length > 0) throw new StepError(planProblemsMessage(names, problems), NOTHING_WRITTEN);
      }
      return headline;
    } finally {
      await tgt.client.end().catch(() => {});
    }
  } finally {
    await src.client.end().catch(() => {});
  }
}

/** Staging's identity table and pool checked now, before any step writes; a dry run says what the remap will do. */
async function checkIdentityRemap(ctx: RunContext, target: pg.Client): Promise<void> {
  const options = ctx.config.identity!;
  const names = { source: ctx.config.source.name, target: ctx.config.target.name };
  const who = ctx.aws.describe('target');
  await probeIdentityRemap({ options, target, names, credentials: ctx.aws.credentials('target'), who });
  if (ctx.config.dryRun) {
    const table = `${options.table.schema}.${options.table.name}`;
    ctx.note(
      'info',
      `Identity remap: ${names.target}'s Cognito pool \`${options.userPoolId}\` can be listed with ${who}; a real run re-points ` +
        `\`${table}.${options.subjectColumn}\` at the pool user with the same \`${options.emailColumn}\` after the load (\`identity-unmatched: ${options.unmatched}\`).`,
    );
  }
}

/**
 * Reads the headline count in the target after the refresh. The refresh step's own figures (what
 * the committed transaction held) are what the run reports; this reading only confirms them.
 */
export async function countTargetAfter(ctx: RunContext): Promise<string> {
  const { target, source, countTable } = ctx.config;
  const tgt = await connectDatabase(target.database!, target.name, { readOnly: true });
  try {
    const count = await countRows(tgt.client, countTable);
    const db = (ctx.report.database = { countTable: `${countTable.schema}.${countTable.name}`, ...ctx.report.database });
    if (db.countTableRefreshed === false) {
      db.targetCountAfter = count;
      return `\`${db.countTable}\` (\`count-table\`) was not among the tables refreshed: ${target.name} keeps its own ${formatCount(count)} rows`;
    }
    if (db.targetCountAfter !== undefined) {
      // Figures from inside the committed transaction: staging's app may have written since.
      if (count !== db.targetCountAfter) {
        ctx.note('info', `${target.name}'s \`${db.countTable}\` held ${formatCount(db.targetCountAfter)} rows at the commit and ${formatCount(count)} now: ${target.name}'s app has changed it since.`);
      }
      return `${countTable.name}: ${formatCount(db.targetCountAfter)} in ${target.name} at the commit, as in ${source.name}'s snapshot`;
    }
    db.targetCountAfter = count;
    if (count !== db.sourceCount) {
      throw new Error(`${target.name} holds ${formatCount(count)} rows in \`${countTable.name}\` after the refresh, ${source.name} held ${formatCount(db.sourceCount)}.`);
    }
    return `${countTable.name}: ${formatCount(count)} in ${target.name}, as in ${source.name}`;
  } finally {
    await tgt.client.end().catch(() => {});
  }
}
