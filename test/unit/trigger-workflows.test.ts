import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MODES } from '../../src/config/config.js';
import { PROJECT_ROOT } from '../harness/run-action.js';

interface Step {
  uses?: string;
  env?: Record<string, string>;
  'continue-on-error'?: boolean;
  run?: string;
  id?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on'?: string;
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
interface ActionInput {
  description: string;
  default?: string;
}
const action = load<{ inputs: Record<string, ActionInput>; outputs: Record<string, { description: string }> }>('action.yml');
const workflowFiles = [
  ...readdirSync(path.join(PROJECT_ROOT, '.github/workflows')).filter((f) => f.endsWith('.yml')).map((f) => `.github/workflows/${f}`),
  ...readdirSync(path.join(PROJECT_ROOT, '.github/workflows/examples')).map((f) => `.github/workflows/examples/${f}`),
];
const reusable = load<Workflow>('.github/workflows/refresh-staging.yml');
const isThisAction = (uses = '') => uses === './' || uses === './.prod-to-staging-sync' || /prod-to-staging-sync@/.test(uses);

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

  // Action inputs that hold secrets: the workflow takes them as `secrets:` and passes them on.
  const SECRET_INPUTS: Record<string, string> = {
    'source-database-url': '${{ secrets.SOURCE_DATABASE_URL }}',
    'target-database-url': '${{ secrets.TARGET_DATABASE_URL }}',
    'cache-flush-token': '${{ secrets.CACHE_FLUSH_TOKEN }}',
    'masking-salt': '${{ secrets.MASKING_SALT }}',
    'github-token': '${{ secrets.COMMENT_TOKEN || github.token }}',
  };

  it('passes on every input of the action, with the action\'s default', () => {
    const inputs = reusable.on.workflow_call.inputs as Record<string, { type: string; default?: unknown }>;
    const passed = job.steps!.find((s) => s.id === 'sync')!.with!;
    for (const [name, input] of Object.entries(action.inputs)) {
      const hint = `action.yml's input \`${name}\`: add it to .github/workflows/refresh-staging.yml (as an input with the same default, or a secret)`;
      if (name in SECRET_INPUTS) {
        expect(passed[name], hint).toBe(SECRET_INPUTS[name]);
        expect(inputs, `${name} is a secret, not an input`).not.toHaveProperty([name]);
        continue;
      }
      expect(inputs, hint).toHaveProperty([name]);
      const contextDefault = /^\$\{\{ (github\.\w+) \}\}$/.exec(input.default ?? '');
      if (contextDefault) {
        // The github context of a called workflow is the caller's, as the action's default means.
        expect(inputs[name]!.default, name).toBe('');
        expect(passed[name], name).toBe(`\${{ inputs.${name} || ${contextDefault[1]} }}`);
      } else {
        expect(String(inputs[name]!.default ?? ''), `default of ${name}`).toBe(input.default ?? '');
        expect(passed[name], name).toBe(`\${{ inputs.${name} }}`);
      }
    }
    // Nothing passed that the action does not have; runs-on is the workflow's own.
    expect(Object.keys(passed).sort()).toEqual(Object.keys(action.inputs).sort());
    expect(Object.keys(inputs).filter((n) => !(n in action.inputs))).toEqual(['runs-on']);
  });

  it('dry-run and delete are booleans defaulting to false, as in the action (confirm still guards a real run)', () => {
    const inputs = reusable.on.workflow_call.inputs as Record<string, { type: string; default?: unknown }>;
    expect(inputs['dry-run']).toMatchObject({ type: 'boolean', default: false });
    expect(inputs.delete).toMatchObject({ type: 'boolean', default: false });
  });

  it('without id-token: write from the caller, fails saying to grant it (the first step asks for the OIDC token)', async () => {
    const script = String(job.steps![0]!.with!.script);
    const failures: string[] = [];
    const outputs: Record<string, string> = {};
    const core = {
      // What @actions/core throws when the runner gave the job no token URL.
      getIDToken: async (): Promise<string> => {
        throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
      },
      setFailed: (message: string) => failures.push(message),
      setOutput: (name: string, value: string) => (outputs[name] = value),
    };
    // github-script runs the script as the body of an async function given `core`.
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (core: unknown) => Promise<void>;
    await new AsyncFunction('core', script)(core);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain('grant `permissions: id-token: write` to the calling job');
    expect(outputs).toEqual({});

    // With a token, the repository and commit come from its claims.
    const claims = { job_workflow_ref: 'octo/prod-to-staging-sync/.github/workflows/refresh-staging.yml@refs/tags/v1', job_workflow_sha: 'abc123' };
    core.getIDToken = async () => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    await new AsyncFunction('core', script)(core);
    expect(outputs).toEqual({ repository: 'octo/prod-to-staging-sync', sha: 'abc123' });
  });

  it('takes the database URLs and the cache token as secrets, not inputs', () => {
    const { inputs, secrets } = reusable.on.workflow_call;
    expect(Object.keys(secrets)).toEqual(expect.arrayContaining(['SOURCE_DATABASE_URL', 'TARGET_DATABASE_URL', 'CACHE_FLUSH_TOKEN']));
    expect(Object.keys(inputs).filter((n) => /database-url|token/.test(n))).toEqual([]);
  });
});

describe('CI', () => {
  it('runs the action itself (uses: ./): a run that must fail, checked by the next step, and a dry run', () => {
    const steps = load<Workflow>('.github/workflows/ci.yml').jobs.action!.steps!;
    const runs = steps.filter((s) => s.uses === './');
    expect(runs.map((s) => s.with?.['dry-run'])).toEqual([false, true]);
    const failing = runs[0]!;
    expect(failing['continue-on-error']).toBe(true);
    const check = steps[steps.indexOf(failing) + 1]!;
    expect(check.env).toMatchObject({ OUTCOME: `\${{ steps.${failing.id}.outcome }}`, STATUS: `\${{ steps.${failing.id}.outputs.status }}` });
    expect(check.run).toContain('test "$OUTCOME" = failure');
  });

  it('uses the current major of every action it runs', () => {
    const CURRENT: Record<string, string> = {
      'actions/checkout': 'v7',
      'actions/setup-node': 'v7',
      'actions/github-script': 'v9',
      'github/codeql-action/init': 'v4',
      'github/codeql-action/analyze': 'v4',
    };
    for (const file of workflowFiles) {
      for (const job of Object.values(load<Workflow>(file).jobs)) {
        for (const step of job.steps ?? []) {
          const [name, ref] = (step.uses ?? '').split('@');
          if (name && name in CURRENT) expect(`${name}@${ref}`, file).toBe(`${name}@${CURRENT[name]}`);
        }
      }
    }
  });
});

describe('one concurrency group per target, everywhere', () => {
  const GROUP = /^prod-to-staging-sync-/;

  it('every job that runs the action itself uses prod-to-staging-sync-<target-name>; callers of the reusable workflow set none', () => {
    for (const file of workflowFiles.filter((f) => f.includes('/examples/'))) {
      for (const job of Object.values(load<Workflow>(file).jobs)) {
        const sync = (job.steps ?? []).find((s) => isThisAction(s.uses));
        if (sync) expect(job.concurrency?.group, file).toBe(`prod-to-staging-sync-${String(sync.with?.['target-name'] ?? 'staging')}`);
        // The called job holds the group: the same group on the calling job would wait for itself.
        if (/refresh-staging\.yml@/.test(job.uses ?? '')) expect(job.concurrency, file).toBeUndefined();
      }
    }
  });

  it('README names no other group', () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const groups = [...readme.matchAll(/^[ \t]*(?:concurrency|group):[ \t]*([^\s#]+)/gm)].map((m) => m[1]!);
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) expect(group).toMatch(GROUP);
  });
});

describe('the action\'s metadata', () => {
  it('status lists every outcome, skipped included; an author is named', () => {
    for (const outcome of ['synced', 'dry-run', 'failed', 'skipped']) expect(action.outputs.status!.description).toContain(outcome);
    expect(load<{ author?: string }>('action.yml').author).toBeTruthy();
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
