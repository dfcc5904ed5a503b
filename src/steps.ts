import type { RunContext } from './context.js';
import { countTargetAfter, inspectDatabases } from './db/inspect.js';
import type { StepId } from './plan/plan.js';
import type { StepHandler } from './plan/runner.js';
import { inspectBuckets } from './s3/inspect.js';

const notYetBuilt = (what: string): StepHandler<RunContext> => async () => {
  throw new Error(`${what} is not built yet in this version of the action; run with \`dry-run: true\`.`);
};

/** Which capability does each planned step. */
export const STEP_HANDLERS: Record<StepId, StepHandler<RunContext>> = {
  'inspect-database': inspectDatabases,
  'inspect-images': inspectBuckets,
  'refresh-images': notYetBuilt('the images copy'),
  'refresh-database': notYetBuilt('the database refresh'),
  'verify-database': countTargetAfter,
};
