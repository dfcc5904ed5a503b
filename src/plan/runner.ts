import * as core from '@actions/core';
import type { RunReport } from '../report/model.js';
import type { PlannedStep, StepId } from './plan.js';

/** A step's work. It returns one line saying what it did, and throws when it did not do it. */
export type StepHandler<Context> = (ctx: Context) => Promise<string>;

/**
 * Runs the planned steps in order, each in its own log group. The first failure stops the run;
 * later steps are recorded as not run, and results of the steps that ran stay in the report.
 */
export async function runPlan<Context>(
  plan: readonly PlannedStep[],
  handlers: Record<StepId, StepHandler<Context>>,
  ctx: Context,
  report: RunReport,
  redact: (text: string) => string,
): Promise<void> {
  for (const step of plan) {
    if (report.failure) {
      report.steps.push({ id: step.id, title: step.title, status: 'not-run' });
      continue;
    }
    const started = performance.now();
    const seconds = () => Math.round(performance.now() - started) / 1000;
    await core.group(step.title, async () => {
      try {
        const detail = await handlers[step.id](ctx);
        core.info(redact(detail));
        report.steps.push({ id: step.id, title: step.title, status: 'succeeded', seconds: seconds(), detail: redact(detail) });
      } catch (error) {
        const message = redact(errorMessage(error));
        core.error(`${step.title}: ${message}`);
        report.steps.push({ id: step.id, title: step.title, status: 'failed', seconds: seconds(), error: message });
        report.failure = { step: step.title, message, ...(targetStateOf(error) ? { targetState: targetStateOf(error) } : {}) };
        report.outcome = 'failed';
      }
    });
  }
}

/** An error that also says what state the target was left in (e.g. "unchanged: rolled back"). */
export class StepError extends Error {
  constructor(
    message: string,
    readonly targetState?: string,
  ) {
    super(message);
  }
}

/** The state an error says the target is in: a StepError's, or any error carrying one (the database engine's RefreshError). */
function targetStateOf(error: unknown): string | undefined {
  const state = (error as { targetState?: unknown } | null | undefined)?.targetState;
  return typeof state === 'string' ? state : undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
