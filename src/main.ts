import * as core from '@actions/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { buildConfig, type SyncConfig } from './config/config.js';
import type { RunContext, Side } from './context.js';
import { buildPlan } from './plan/plan.js';
import { runPlan } from './plan/runner.js';
import { newReport, type RunReport } from './report/model.js';
import { toOutputs } from './report/outputs.js';
import { createRedactor } from './report/redact.js';
import { renderSummary } from './report/summary.js';
import { createS3Client } from './s3/client.js';
import { STEP_HANDLERS } from './steps.js';

/** The action: read inputs, build the plan, run it, report. */
export async function run(): Promise<void> {
  const startedAt = new Date();
  const built = buildConfig((name) => core.getInput(name));
  for (const secret of built.secrets) core.setSecret(secret);
  const redact = createRedactor(built.secrets);

  let report: RunReport;
  if (!built.ok) {
    report = newReport(built.labels, startedAt);
    const message = redact(`${built.problems.length} input problem(s); nothing was changed:\n- ${built.problems.join('\n- ')}`);
    report.outcome = 'failed';
    report.failure = { step: 'check inputs', message, targetState: 'unchanged (nothing was touched)' };
  } else {
    const { config } = built;
    report = newReport(built.labels, startedAt);
    const ctx = createContext(config, report);
    core.info(`${config.dryRun ? 'Dry run: planning' : 'Refreshing'} ${config.target.name} from ${config.source.name} (mode ${config.mode}).`);
    await runPlan(buildPlan(config), STEP_HANDLERS, ctx, report, redact);
  }
  report.finishedAt = new Date().toISOString();
  await publish(report, redact);
}

function createContext(config: SyncConfig, report: RunReport): RunContext {
  const clients = new Map<Side, S3Client>();
  return {
    config,
    report,
    s3Client(side) {
      let client = clients.get(side);
      if (!client) {
        client = createS3Client({ region: config.awsRegion, endpoint: config.s3Endpoint });
        clients.set(side, client);
      }
      return client;
    },
    sharedCredentials: true,
    note(level, text) {
      report.notes.push({ level, text });
      if (level === 'warning') core.warning(text);
      else if (level === 'error') core.error(text);
      else core.info(text);
    },
  };
}

async function publish(report: RunReport, redact: (text: string) => string): Promise<void> {
  for (const [name, value] of Object.entries(toOutputs(report))) core.setOutput(name, value);
  const markdown = redact(renderSummary(report));
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(markdown, true).write();
  } else {
    core.info(markdown);
  }
  if (report.failure) core.setFailed(`${report.failure.step} failed: ${report.failure.message}`);
}
