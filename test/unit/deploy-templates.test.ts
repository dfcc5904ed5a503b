import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../harness/run-action.js';

// The deployment templates of the database function are checked by scripts/validate-deploy.mjs, which
// CI runs (npm run validate:deploy). These tests run that script the way CI does, on the real files and on
// broken copies, and the packager the way a deployer does.

const scratch = mkdtempSync(path.join(tmpdir(), 'p2s-deploy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const terraformDir = path.join(PROJECT_ROOT, 'deploy/terraform');
const templateFile = path.join(PROJECT_ROOT, 'deploy/cloudformation/function.yaml');

function validate(terraform = terraformDir, cloudFormation = templateFile, env: NodeJS.ProcessEnv = process.env) {
  const run = spawnSync(
    process.execPath,
    [path.join(PROJECT_ROOT, 'scripts/validate-deploy.mjs'), '--terraform', terraform, '--cloudformation', cloudFormation],
    { cwd: PROJECT_ROOT, encoding: 'utf8', env },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

let copies = 0;
/** A copy of deploy/ with one file edited; the edit must change the file (else the test proves nothing). */
function brokenCopy(file: string, edit: (text: string) => string) {
  const dir = path.join(scratch, `copy-${++copies}`);
  cpSync(path.join(PROJECT_ROOT, 'deploy'), dir, { recursive: true });
  const target = path.join(dir, file);
  const before = readFileSync(target, 'utf8');
  const after = edit(before);
  expect(after, `the edit of ${file} changed nothing`).not.toBe(before);
  writeFileSync(target, after);
  return { terraform: path.join(dir, 'terraform'), cloudFormation: path.join(dir, 'cloudformation/function.yaml') };
}

describe('validate-deploy: the Terraform module and the CloudFormation template', () => {
  it('accepts the files in deploy/', () => {
    const { code, stdout, stderr } = validate();
    expect(stderr).toBe('');
    expect(stdout).toContain('ok  deploy/terraform');
    expect(stdout).toContain('ok  deploy/cloudformation/function.yaml');
    expect(code).toBe(0);
  });

  it('fails on a misspelled resource property in the template, naming it and the right spelling', () => {
    const copy = brokenCopy('cloudformation/function.yaml', (t) => t.replace('      MemorySize: !Ref MemorySize', '      MemorySise: !Ref MemorySize'));
    const { code, stdout, stderr } = validate(terraformDir, copy.cloudFormation);
    expect(code).toBe(1);
    expect(stdout).toContain('ok  deploy/terraform');
    expect(stderr).toContain('function.yaml is not valid:');
    expect(stderr).toContain('Resources.Function.Properties.MemorySise: unknown property (did you mean MemorySize?)');
  });

  it('fails on a nested property, a required property, an attribute or a resource type CloudFormation does not have', () => {
    const copy = brokenCopy('cloudformation/function.yaml', (t) =>
      t
        .replace('        SubnetIds: !Ref SubnetIds', '        SubnetIDs: !Ref SubnetIds')
        .replace('      Role: !GetAtt ExecutionRole.Arn\n', '')
        .replace('    Value: !GetAtt ExecutionRole.Arn', '    Value: !GetAtt ExecutionRole.RoleArn')
        .replace('Type: AWS::Lambda::EventInvokeConfig', 'Type: AWS::Lambda::EventInvokeConfiguration'),
    );
    const { code, stderr } = validate(terraformDir, copy.cloudFormation);
    expect(code).toBe(1);
    expect(stderr).toContain('Resources.Function.Properties.VpcConfig.SubnetIDs: unknown property (did you mean SubnetIds?)');
    expect(stderr).toContain('Resources.Function.Properties: required property Role is missing');
    expect(stderr).toContain('Outputs.RoleArn.Value: AWS::IAM::Role has no attribute RoleArn');
    expect(stderr).toContain('"AWS::Lambda::EventInvokeConfiguration" is not a CloudFormation resource type');
  });

  it('fails on a tag CloudFormation does not know and on a Ref to nothing', () => {
    const unknownTag = brokenCopy('cloudformation/function.yaml', (t) => t.replace('FunctionName: !Ref FunctionName\n      Description', 'FunctionName: !Reference FunctionName\n      Description'));
    const tagRun = validate(terraformDir, unknownTag.cloudFormation);
    expect(tagRun.code).toBe(1);
    expect(tagRun.stderr).toContain('YAML: Unresolved tag: !Reference');

    const danglingRef = brokenCopy('cloudformation/function.yaml', (t) => t.replace('S3Key: !Ref CodeS3Key', 'S3Key: !Ref CodeKey'));
    const refRun = validate(terraformDir, danglingRef.cloudFormation);
    expect(refRun.code).toBe(1);
    expect(refRun.stderr).toContain('CodeKey is neither a parameter, a resource nor a pseudo parameter');
    expect(refRun.stderr).toContain('parameter CodeS3Key is declared but never used');
  });

  it('fails on an HCL syntax error, naming the file and line', () => {
    const copy = brokenCopy('terraform/main.tf', (t) => t.replace('  memory_size      = var.memory_size\n', '  memory_size      = \n'));
    const { code, stdout, stderr } = validate(copy.terraform);
    expect(code).toBe(1);
    expect(stdout).toContain('ok  deploy/cloudformation/function.yaml');
    expect(stderr).toMatch(/main\.tf: HCL syntax error: \[main\.tf:\d+,\d+-\d+,\d+: Invalid expression/);
  });

  it('fails when a variable the module uses is not declared', () => {
    const copy = brokenCopy('terraform/variables.tf', (t) => t.replace(/variable "subnet_ids" \{[\s\S]*?\n\}\n/, ''));
    const { code, stderr } = validate(copy.terraform);
    expect(code).toBe(1);
    expect(stderr).toContain('main.tf: resource aws_lambda_function.refresh.vpc_config.subnet_ids: var.subnet_ids is used but no variable "subnet_ids" is declared (variables.tf)');
  });

  it('fails when a reference names no declared resource, or a declared variable is never used', () => {
    const copy = brokenCopy('terraform/main.tf', (t) =>
      t.replace('role             = aws_iam_role.function.arn', 'role             = aws_iam_role.refresh.arn').replace('  timeout          = var.timeout\n', ''),
    );
    const { code, stderr } = validate(copy.terraform);
    expect(code).toBe(1);
    expect(stderr).toContain('aws_iam_role.refresh is used but no resource "aws_iam_role" "refresh" is declared');
    expect(stderr).toContain('variables.tf: variable "timeout" is declared but never used');
  });

  it('fails when either template breaks the function contract: two refreshes at once, another handler', () => {
    const terraform = brokenCopy('terraform/main.tf', (t) => t.replace('reserved_concurrent_executions = 1', 'reserved_concurrent_executions = 2'));
    const terraformRun = validate(terraform.terraform);
    expect(terraformRun.code).toBe(1);
    expect(terraformRun.stderr).toContain('reserved_concurrent_executions must be 1 (two refreshes must never run at once)');

    const template = brokenCopy('cloudformation/function.yaml', (t) => t.replace('Handler: index.handler', 'Handler: main.handler'));
    const templateRun = validate(terraformDir, template.cloudFormation);
    expect(templateRun.code).toBe(1);
    expect(templateRun.stderr).toContain('Properties.Handler must be "index.handler"');
  });

  it('says which package to install when a parser is missing', () => {
    const empty = path.join(scratch, 'no-deps', 'node_modules');
    mkdirSync(empty, { recursive: true });
    const { code, stderr } = validate(terraformDir, templateFile, { ...process.env, P2S_DEPLOY_DEPS: empty });
    expect(code).toBe(2);
    expect(stderr).toContain("the devDependency @cdktf/hcl2json is not installed; run 'npm ci'");
  });
});

// `unzip` (Info-ZIP) reads the zip as Lambda's service would; without it these tests report skipped.
const hasUnzip = spawnSync('unzip', ['-v']).status === 0;

function packageFunction(args: string[]) {
  const run = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'scripts/package-function.mjs'), ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('package-function: the zip of the built function', () => {
  it.skipIf(!hasUnzip)('holds the build byte for byte, loads as an ES module from its root and runs the handler', async () => {
    const build = path.join(scratch, 'build-fixture');
    mkdirSync(path.join(build, 'nested'), { recursive: true });
    writeFileSync(path.join(build, 'package.json'), '{"type":"module"}\n');
    writeFileSync(path.join(build, 'index.js'), "import { greeting } from './nested/greeting.js';\nexport const handler = async (event) => `${greeting} ${event.target}`;\n");
    writeFileSync(path.join(build, 'nested/greeting.js'), "export const greeting = 'refresh';\n");
    writeFileSync(path.join(build, 'index.js.map'), Buffer.alloc(200_000, 'x')); // a large, compressible file
    const pem = path.join(scratch, 'global-bundle.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const zip = path.join(scratch, 'out/function.zip');

    const { code, stdout } = packageFunction(['--source', build, '--out', zip, '--ca-bundle', pem]);
    expect(code).toBe(0);
    expect(stdout).toContain('5 files');
    expect(stdout).toContain('set DB_CA_BUNDLE=/var/task/global-bundle.pem');

    expect(execFileSync('unzip', ['-t', zip], { encoding: 'utf8' })).toContain('No errors detected');
    const task = path.join(scratch, 'var-task');
    execFileSync('unzip', ['-q', zip, '-d', task]);
    for (const file of ['package.json', 'index.js', 'nested/greeting.js', 'index.js.map'])
      expect(readFileSync(path.join(task, file)), file).toEqual(readFileSync(path.join(build, file)));
    expect(readFileSync(path.join(task, 'global-bundle.pem'))).toEqual(readFileSync(pem));
    const { handler } = (await import(path.join(task, 'index.js'))) as { handler: (event: { target: string }) => Promise<string> };
    expect(await handler({ target: 'staging' })).toBe('refresh staging');

    // Reproducible: the same build gives the same bytes (and so the same S3 key and source_code_hash).
    const again = path.join(scratch, 'out/again.zip');
    expect(packageFunction(['--source', build, '--out', again, '--ca-bundle', pem]).code).toBe(0);
    expect(readFileSync(again)).toEqual(readFileSync(zip));
  });

  it.skipIf(!hasUnzip || !existsSync(path.join(PROJECT_ROOT, 'dist/function/index.js')))(
    "packs the repository's dist/function, whose index.js exports handler",
    async () => {
      const zip = path.join(scratch, 'out/real.zip');
      expect(packageFunction(['--out', zip]).code).toBe(0);
      const task = path.join(scratch, 'real-task');
      execFileSync('unzip', ['-q', zip, '-d', task]);
      const { handler } = (await import(path.join(task, 'index.js'))) as { handler: unknown };
      expect(typeof handler).toBe('function');
    },
  );

  it('refuses a folder without a build, saying to build first', () => {
    const { code, stderr } = packageFunction(['--source', path.join(scratch, 'nothing-here'), '--out', path.join(scratch, 'out/none.zip')]);
    expect(code).toBe(1);
    expect(stderr).toContain('has no index.js: build the function first (npm run build)');
    expect(existsSync(path.join(scratch, 'out/none.zip'))).toBe(false);
  });
});
