import { touchesDatabase, touchesImages, type SyncConfig } from '../config/config.js';

export type StepId = 'inspect-database' | 'inspect-images' | 'refresh-images' | 'refresh-database' | 'verify-database';

export interface PlannedStep {
  id: StepId;
  title: string;
}

/**
 * The ordered steps a config implies. Inspection always comes first: it connects to both
 * sides, applies the same-database guard and records the "before" figures, so nothing is
 * written until both environments have been seen.
 */
export function buildPlan(config: SyncConfig): PlannedStep[] {
  const { source, target } = config;
  const arrow = `${source.name} → ${target.name}`;
  const db = touchesDatabase(config.mode);
  const images = touchesImages(config.mode);
  const steps: PlannedStep[] = [];
  if (db) steps.push({ id: 'inspect-database', title: `Inspect databases (${arrow})` });
  if (images) steps.push({ id: 'inspect-images', title: `Inspect buckets (${source.bucket} → ${target.bucket})` });
  if (config.dryRun) return steps;
  if (images) steps.push({ id: 'refresh-images', title: `Copy images (${source.bucket} → ${target.bucket})` });
  if (db) {
    steps.push({ id: 'refresh-database', title: `Replace ${target.name}'s database with ${source.name}'s` });
    steps.push({ id: 'verify-database', title: `Verify ${target.name}'s database` });
  }
  return steps;
}
