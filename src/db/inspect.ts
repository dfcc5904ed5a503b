import type { RunContext } from '../context.js';
import { formatCount } from '../report/format.js';
import { connectDatabase, countRows, serverIdentity } from './connect.js';
import { describeRefresh } from './dry-run.js';

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
      if (ctx.config.dryRun) return `${headline}; ${await describeRefresh(ctx, src.client, tgt.client)}`;
      return headline;
    } finally {
      await tgt.client.end().catch(() => {});
    }
  } finally {
    await src.client.end().catch(() => {});
  }
}

/** Records the headline count in the target after the refresh. */
export async function countTargetAfter(ctx: RunContext): Promise<string> {
  const { target, countTable } = ctx.config;
  const tgt = await connectDatabase(target.database!, target.name, { readOnly: true });
  try {
    const count = await countRows(tgt.client, countTable);
    ctx.report.database = { countTable: `${countTable.schema}.${countTable.name}`, ...ctx.report.database, targetCountAfter: count };
    // A table the refresh left alone has nothing to match (`db-method: lambda` syncing other tables).
    if (ctx.report.database.countTableRefreshed === false) return `${countTable.name}: ${formatCount(count)} in ${target.name}, not refreshed by this run`;
    const expected = ctx.report.database.sourceCount;
    if (count !== expected) {
      throw new Error(`${target.name} holds ${formatCount(count)} rows in \`${countTable.name}\` after the refresh, ${ctx.config.source.name} held ${formatCount(expected)}.`);
    }
    return `${countTable.name}: ${formatCount(count)} in ${target.name}, as in ${ctx.config.source.name}`;
  } finally {
    await tgt.client.end().catch(() => {});
  }
}
