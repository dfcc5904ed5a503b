import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MODES } from '../../src/config/config.js';
import { PROJECT_ROOT } from '../harness/run-action.js';

interface Step {
  uses?: string;
  run?: string;
  id?: string;
  with?: Record<string, unknown>;
}
interface Job {
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
  outputs?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
}
interface Workflow {
  on: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = <T>(file: string): T => parse(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')) as T;
const action = load<{ inputs: Record<string, unknown>; outputs: Record<string, unknown> }>('action.yml');
const workflowFiles = [
  ...readdirSync(path.join(PROJECT_ROOT, '.github/workflows')).filter((f) => f.endsWith('.yml')).map((f) => `.github/workflows/${f}`),
  ...readdirSync(path.join(PROJECT_ROOT, '.github/workflows/examples')).map((f) => `.github/workflows/examples/${f}`),
];
const reusable = load<Workflow>('.github/workflows/refresh-staging.yml');
const isThisAction = (uses = '') => uses === './.prod-to-staging-sync' || /prod-to-staging-sync@/.test(uses);

describe('workflow files', () => {
  it('pass the workflow validator (action-validator, offline)', () => {
    const out = execFileSync('bash', [path.join(PROJECT_ROOT, '.ci/validate-workflows')], { encoding: 'utf8' });
    for (const file of ['action.yml', ...workflowFiles]) expect(out).toContain(`ok  ${file}`);
  });

  it('never put an expression (comment text, inputs, outputs) into a run: script', () => {
    for (const file of workflowFiles) {
      for (const job of Object.values(load<Workflow>(file).jobs)) {
        for (const step of job.steps ?? []) expect(step.run ?? '', `${file}: ${step.run}`).not.toContain('${{');
      }
    }
  });

  it('give the action only inputs it declares', () => {
    for (const file of workflowFiles) {
      for (const job of Object.values(load<Workflow>(file).jobs)) {
        for (const step of (job.steps ?? []).filter((s) => isThisAction(s.uses))) {
          for (const name of Object.keys(step.with ?? {})) expect(action.inputs, `${file}: ${name}`).toHaveProperty([name]);
        }
      }
    }
  });
});

describe('the reusable workflow', () => {
  const job = reusable.jobs.refresh!;

  it('is callable, with OIDC and read-only contents, one refresh per target at a time', () => {
    expect(Object.keys(reusable.on)).toEqual(['workflow_call']);
    expect(reusable.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    expect(job.concurrency).toEqual({ group: 'prod-to-staging-sync-${{ inputs.target-name }}', 'cancel-in-progress': false });
  });

  it('runs the action checked out from its own repository at the commit the OIDC token names', () => {
    const [self, checkout, sync] = job.steps!;
    expect(self!.with!.script).toContain('job_workflow_sha');
    expect(checkout!.uses).toMatch(/^actions\/checkout@/);
    expect(checkout!.with).toMatchObject({ repository: '${{ steps.self.outputs.repository }}', ref: '${{ steps.self.outputs.sha }}', path: '.prod-to-staging-sync' });
    expect(sync!.uses).toBe('./.prod-to-staging-sync');
  });

  it('exposes every run output of the action as a workflow output', () => {
    const outputs = reusable.on.workflow_call.outputs as Record<string, { value: string }>;
    for (const name of Object.keys(action.outputs).filter((n) => n !== 'report-file')) {
      expect(outputs[name]?.value, name).toBe(`\${{ jobs.refresh.outputs.${name} }}`);
      expect(job.outputs![name], name).toBe(`\${{ steps.sync.outputs.${name} }}`);
    }
  });

  it('takes the database URLs and the cache token as secrets, not inputs', () => {
    const { inputs, secrets } = reusable.on.workflow_call;
    expect(Object.keys(secrets)).toEqual(expect.arrayContaining(['SOURCE_DATABASE_URL', 'TARGET_DATABASE_URL', 'CACHE_FLUSH_TOKEN']));
    expect(Object.keys(inputs).filter((n) => /database-url|token/.test(n))).toEqual([]);
  });
});

describe('the example workflows', () => {
  it('manual: a choice of mode, a boolean dry run (default true) and a text confirmation', () => {
    const manual = load<Workflow>('.github/workflows/examples/refresh-staging-manual.yml');
    const inputs = manual.on.workflow_dispatch.inputs;
    expect(inputs.mode).toMatchObject({ type: 'choice', options: [...MODES] });
    expect(inputs['dry-run']).toMatchObject({ type: 'boolean', default: true });
    expect(inputs.confirm.type).toBe('string');
  });

  it('comment: only new comments, no checkout of the pull request, its own secrets, and may reply', () => {
    const comment = load<Workflow>('.github/workflows/examples/refresh-staging-comment.yml');
    expect(comment.on).toEqual({ issue_comment: { types: ['created'] } });
    expect(comment.permissions).toMatchObject({ 'pull-requests': 'write', contents: 'read' });
    const steps = Object.values(comment.jobs).flatMap((j) => j.steps ?? []);
    expect(steps.filter((s) => /checkout/.test(s.uses ?? ''))).toEqual([]);
    const sync = steps.find((s) => isThisAction(s.uses))!;
    // The comment decides mode, dry run and confirmation; the workflow must not pre-set them.
    expect(Object.keys(sync.with!)).not.toEqual(expect.arrayContaining(['confirm']));
    expect(sync.with).not.toHaveProperty('dry-run');
  });
});
