import { needsAwsAccess, runnerReachesDatabases } from '../config/aws-options.js';
import { touchesDatabase, touchesImages, type SyncConfig } from '../config/config.js';

export type StepId =
  | 'aws-access'
  | 'describe-database-function'
  | 'check-health'
  | 'check-versions'
  | 'inspect-database'
  | 'inspect-images'
  | 'refresh-images'
  | 'refresh-database'
  | 'verify-database'
  | 'flush-cache'
  | 'post-check';

export interface PlannedStep {
  id: StepId;
  title: string;
}

/**
 * The ordered steps a config implies. Every step that can refuse the run — AWS access and the
 * account guard, health and version checks, inspection of both sides (with the same-database
 * guard and the "before" figures) — comes before the first step that writes.
 */
export function buildPlan(config: SyncConfig): PlannedStep[] {
  const { source, target } = config;
  const arrow = `${source.name} → ${target.name}`;
  const db = touchesDatabase(config.mode);
  const images = touchesImages(config.mode);
  const steps: PlannedStep[] = [];
  // Roles, the account guard and database secrets come first: every later step needs them.
  if (needsAwsAccess(config.aws)) steps.push({ id: 'aws-access', title: 'AWS access: roles, account guard, database secrets' });
  // With db-method lambda and no URL or secret, only the function reaches the (private) databases.
  const viaFunction = db && config.database.method === 'lambda';
  const inspectDb = db && (!viaFunction || runnerReachesDatabases(config));
  // Health and versions first: an unhealthy source or a version policy stops the run before any change.
  if (source.apiUrl || target.apiUrl) {
    steps.push({ id: 'check-health', title: `Pre-flight: health of ${[source.apiUrl && source.name, target.apiUrl && target.name].filter(Boolean).join(' and ')}` });
  }
  if (source.apiUrl && target.apiUrl) steps.push({ id: 'check-versions', title: `Compare ${source.name}'s and ${target.name}'s versions` });
  if (inspectDb) steps.push({ id: 'inspect-database', title: `Inspect databases (${arrow})` });
  if (images) steps.push({ id: 'inspect-images', title: `Inspect buckets (${source.bucket} → ${target.bucket})` });
  if (config.dryRun) {
    if (viaFunction) {
      // A function of the original shape (marked by db-sync-payload) has no read-only inspection: not invoked.
      const how = config.aws.dbSyncPayloadGiven ? 'not invoked: dry run' : 'read-only inspection: dry run';
      steps.push({ id: 'describe-database-function', title: `Database refresh through \`${config.aws.dbSyncFunction}\` (${how})` });
    }
    return steps;
  }
  if (images) steps.push({ id: 'refresh-images', title: `Copy images (${source.bucket} → ${target.bucket})` });
  if (db) {
    steps.push({ id: 'refresh-database', title: `Replace ${target.name}'s database with ${source.name}'s${viaFunction ? ` (through \`${config.aws.dbSyncFunction}\`)` : ''}` });
    if (inspectDb) steps.push({ id: 'verify-database', title: `Verify ${target.name}'s database` });
    steps.push({ id: 'flush-cache', title: config.checks.cacheFlushUrl ? `Flush ${target.name}'s caches` : `${target.name}'s caches (no flush URL)` });
  }
  if (target.apiUrl) steps.push({ id: 'post-check', title: `Post-flight: wait for ${target.name} to be healthy` });
  return steps;
}
