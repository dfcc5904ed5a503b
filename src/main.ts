import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import { AwsAccess } from './aws/access.js';
import { buildConfig, type SyncConfig } from './config/config.js';
import type { RunContext, Side } from './context.js';
import { buildPlan } from './plan/plan.js';
import { runPlan } from './plan/runner.js';
import { newReport, type RunReport } from './report/model.js';
import { writeJsonReport } from './report/json-report.js';
import { toOutputs } from './report/outputs.js';
import { Redactor } from './report/redact.js';
import { renderSummary } from './report/summary.js';
import { useNetworkTimeout } from './health/http.js';
import { useProxySettings } from './proxy/agents.js';
import { describeProxy, parseProxyEnvironment } from './proxy/proxy.js';
import { createS3Client } from './s3/client.js';
import { STEP_HANDLERS } from './steps.js';
import { startTrigger, type CommentEvent } from './trigger/start.js';

/** The action: read inputs, build the plan, run it, report. */
export async function run(): Promise<void> {
  const startedAt = new Date();
  const readInput = (name: string) => core.getInput(name);
  const env = process.env;
  // Lowercase first, as curl and @actions/http-client read them.
  const proxy = { httpsProxy: env.https_proxy || env.HTTPS_PROXY, httpProxy: env.http_proxy || env.HTTP_PROXY, noProxy: env.no_proxy || env.NO_PROXY };
  // Before the comment trigger's first GitHub call; buildConfig reports a malformed one.
  useProxySettings(parseProxyEnvironment(proxy).settings);
  const trigger = await startTrigger(readCommentEvent(), readInput);
  if (trigger.kind === 'skipped') return publishSkipped(trigger.report, trigger.reason);
  const built = buildConfig(trigger.kind === 'run' ? trigger.readInput : readInput, {
    repository: process.env.GITHUB_REPOSITORY,
    githubApiUrl: process.env.GITHUB_API_URL,
    runId: process.env.GITHUB_RUN_ID,
    tempDir: process.env.RUNNER_TEMP,
    awsRegion: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION,
    proxy,
  });
  for (const secret of built.secrets) core.setSecret(secret);
  const redactor = new Redactor(built.secrets);
  const redact = redactor.redact;
  const maskSecret = (secret: string) => {
    core.setSecret(secret);
    redactor.add(secret);
  };

  let report: RunReport;
  if (trigger.kind === 'refused') {
    report = newReport(trigger.labels, startedAt);
    report.outcome = 'failed';
    report.failure = trigger.failure;
  } else if (!built.ok) {
    report = newReport(built.labels, startedAt);
    const message = redact(`${built.problems.length} input problem(s); nothing was changed:\n- ${built.problems.join('\n- ')}`);
    report.outcome = 'failed';
    report.failure = { step: 'check inputs', message, targetState: 'unchanged (nothing was touched)' };
  } else {
    const { config } = built;
    useNetworkTimeout(config.network.requestTimeoutMs);
    const { proxy: proxySettings } = config.network;
    if (proxySettings.https || proxySettings.http) {
      const via = [proxySettings.https && `https: ${describeProxy(proxySettings.https)}`, proxySettings.http && `http: ${describeProxy(proxySettings.http)}`].filter(Boolean).join(', ');
      core.info(`HTTP calls go through the runner's proxy (${via})${proxySettings.bypass.length ? `, except NO_PROXY ${proxySettings.bypass.join(',')}` : ''}.`);
    }
    report = newReport(built.labels, startedAt);
    const ctx = createContext(config, report, maskSecret);
    core.info(`${config.dryRun ? 'Dry run: planning' : 'Refreshing'} ${config.target.name} from ${config.source.name} (mode ${config.mode}).`);
    await runPlan(buildPlan(config), STEP_HANDLERS, ctx, report, redact);
  }
  report.finishedAt = new Date().toISOString();
  await publish(report, redact);
  await trigger.finish(report, redact);
}

function createContext(config: SyncConfig, report: RunReport, maskSecret: (secret: string) => void): RunContext {
  const clients = new Map<Side, S3Client>();
  const aws = new AwsAccess(config, maskSecret);
  return {
    config,
    report,
    s3Client(side) {
      let client = clients.get(side);
      if (!client) {
        client = createS3Client({
          region: config.regions[side],
          endpoint: config.s3Endpoint,
          credentials: aws.credentials(side),
          connectTimeoutMs: config.network.connectTimeoutMs,
          idleTimeoutMs: config.network.s3IdleTimeoutMs,
        });
        clients.set(side, client);
      }
      return client;
    },
    sharedCredentials: aws.sharedCredentials,
    aws,
    maskSecret,
    note(level, text) {
      report.notes.push({ level, text });
      if (level === 'warning') core.warning(text);
      else if (level === 'error') core.error(text);
      else core.info(text);
    },
  };
}

async function publish(report: RunReport, redact: (text: string) => string): Promise<void> {
  let reportFile: string | undefined;
  try {
    reportFile = await writeJsonReport(report, process.env.RUNNER_TEMP || tmpdir(), redact);
  } catch (error) {
    core.warning(`Could not write the JSON report file: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const [name, value] of Object.entries(toOutputs(report, { reportFile }))) core.setOutput(name, value);
  const markdown = redact(renderSummary(report));
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(markdown, true).write();
  } else {
    core.info(markdown);
  }
  if (report.failure) core.setFailed(`${report.failure.step} failed: ${report.failure.message}`);
}

/** The pull-request comment this run answers, when an `issue_comment` event started the workflow. */
function readCommentEvent(): CommentEvent | undefined {
  const env = process.env;
  if (env.GITHUB_EVENT_NAME !== 'issue_comment') return undefined;
  let payload = {};
  try {
    payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH ?? '', 'utf8'));
  } catch (error) {
    // Without the comment nothing may run: an empty payload is skipped.
    core.warning(`Could not read the event payload (GITHUB_EVENT_PATH): ${error instanceof Error ? error.message : String(error)}`);
  }
  const server = env.GITHUB_SERVER_URL || 'https://github.com';
  return {
    payload,
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    repository: env.GITHUB_REPOSITORY ?? '',
    runUrl: `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`,
  };
}

async function publishSkipped(report: RunReport, reason: string): Promise<void> {
  core.info(`Nothing to do: ${reason}.`);
  for (const [name, value] of Object.entries(toOutputs(report))) core.setOutput(name, value);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(`⏭️ Skipped: ${reason}. Nothing was run.\n`, true).write();
}
