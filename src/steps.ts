import { describeFunctionRefresh, resolveAwsAccess } from './aws/steps.js';
import type { RunContext } from './context.js';
import { countTargetAfter, inspectDatabases } from './db/inspect.js';
import { refreshDatabase } from './db/refresh.js';
import type { StepId } from './plan/plan.js';
import type { StepHandler } from './plan/runner.js';
import { inspectBuckets } from './s3/inspect.js';
import { refreshImages } from './s3/refresh.js';
import { checkHealth, checkVersions, flushCache, postCheck } from './health/steps.js';

/** Which capability does each planned step. */
export const STEP_HANDLERS: Record<StepId, StepHandler<RunContext>> = {
  'aws-access': resolveAwsAccess,
  'describe-database-function': describeFunctionRefresh,
  'inspect-database': inspectDatabases,
  'inspect-images': inspectBuckets,
  'refresh-images': refreshImages,
  'refresh-database': refreshDatabase,
  'verify-database': countTargetAfter,
  'check-health': checkHealth,
  'check-versions': checkVersions,
  'flush-cache': flushCache,
  'post-check': postCheck,
};
