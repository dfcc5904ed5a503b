// Validates the deployment templates of the database function with real parsers:
//   - deploy/terraform/*.tf: HCL parsed by @cdktf/hcl2json (HashiCorp's own HCL parser compiled to wasm),
//     then every reference (var., local., data., resources) must resolve and every variable be used;
//   - deploy/cloudformation/function.yaml: YAML with CloudFormation's tags, resource types and properties
//     checked against the CloudFormation resource schemas shipped in @aws-cdk/aws-service-spec,
//     and every Ref / GetAtt / Sub / condition must resolve.
// Both must keep the function's contract (handler, runtime, environment, concurrency 1, defaults, outputs).
//
// Usage: node scripts/validate-deploy.mjs [--terraform DIR] [--cloudformation FILE]
// Exit 0 when valid; 1 with one line per problem; 2 when a parser package is missing.
// P2S_DEPLOY_DEPS=/path/to/node_modules loads the parser packages from there instead of the project.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import console from 'node:console';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The function's contract, shared with src/function (see README "Deploying the function"). */
const CONTRACT = {
  handler: 'index.handler',
  runtime: 'nodejs24.x',
  environment: ['SOURCE_SECRET_ARN', 'TARGET_SECRET_ARN', 'TARGET_NAME', 'SOURCE_NAME', 'DB_SSLMODE', 'DB_CA_BUNDLE'],
  memoryMb: 1024,
  timeoutSeconds: 900,
  logRetentionDays: 30,
};

function loadParserPackage(name) {
  const base = process.env.P2S_DEPLOY_DEPS
    ? path.join(path.resolve(process.env.P2S_DEPLOY_DEPS), '..', 'package.json')
    : import.meta.url;
  try {
    return createRequire(base)(name);
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') {
      console.error(`validate-deploy: the devDependency ${name} is not installed; run 'npm ci'.`);
      process.exit(2);
    }
    throw error;
  }
}

// ---------------------------------------------------------------- Terraform

const TERRAFORM_FILES = ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md'];
// Roots of references that are not declarations of the module.
const BUILTIN_ROOTS = new Set(['path', 'count', 'each', 'self', 'terraform']);

/** Every string in a parsed HCL body, with the attribute path it sits at. */
function* stringsIn(value, where) {
  if (typeof value === 'string') yield [value, where];
  else if (Array.isArray(value)) for (const item of value) yield* stringsIn(item, where);
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) yield* stringsIn(item, `${where}.${key}`);
}

/** Labels of `dynamic "x" {}` blocks: their iterators (x.value, x.key) are valid roots inside. */
function dynamicIterators(value, found = new Set()) {
  if (Array.isArray(value)) for (const item of value) dynamicIterators(item, found);
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      if (key === 'dynamic' && item && typeof item === 'object') for (const label of Object.keys(item)) found.add(label);
      dynamicIterators(item, found);
    }
  return found;
}

export async function validateTerraform(dir) {
  const hcl = loadParserPackage('@cdktf/hcl2json');
  const problems = [];
  const present = new Set(await readdir(dir));
  for (const file of TERRAFORM_FILES) if (!present.has(file)) problems.push(`${file}: missing (the module needs ${TERRAFORM_FILES.join(', ')})`);

  const parsed = [];
  for (const file of [...present].filter((name) => name.endsWith('.tf')).sort()) {
    const text = await readFile(path.join(dir, file), 'utf8');
    try {
      parsed.push({ file, text, body: await hcl.parse(file, text) });
    } catch (error) {
      problems.push(`${file}: HCL syntax error: ${String(error.message ?? error).replace(/^parse config: /, '')}`);
    }
  }
  if (problems.length > 0) return problems;

  const declared = { variable: new Map(), local: new Set(), resource: new Set(), data: new Set(), module: new Set(), output: new Map() };
  for (const { file, body } of parsed) {
    for (const [name, blocks] of Object.entries(body.variable ?? {})) {
      if (declared.variable.has(name)) problems.push(`${file}: variable "${name}" is declared twice`);
      declared.variable.set(name, { file, block: blocks[0] });
    }
    for (const locals of body.locals ?? []) for (const name of Object.keys(locals)) declared.local.add(name);
    for (const [type, byName] of Object.entries(body.resource ?? {})) for (const name of Object.keys(byName)) declared.resource.add(`${type}.${name}`);
    for (const [type, byName] of Object.entries(body.data ?? {})) for (const name of Object.keys(byName)) declared.data.add(`${type}.${name}`);
    for (const name of Object.keys(body.module ?? {})) declared.module.add(name);
    for (const [name, blocks] of Object.entries(body.output ?? {})) declared.output.set(name, { file, block: blocks[0] });
  }

  for (const [name, { file, block }] of declared.variable) {
    if (!block.type) problems.push(`${file}: variable "${name}" has no type`);
    if (!block.description) problems.push(`${file}: variable "${name}" has no description`);
  }
  for (const [name, { file, block }] of declared.output) {
    if (!block.description) problems.push(`${file}: output "${name}" has no description`);
    if (block.value === undefined) problems.push(`${file}: output "${name}" has no value`);
  }

  const usedVariables = new Set();
  for (const { file, body } of parsed) {
    const iterators = dynamicIterators(body);
    for (const kind of ['locals', 'resource', 'data', 'output', 'module', 'variable']) {
      for (const [text, where] of stringsIn(body[kind] ?? {}, kind)) {
        if (!text.includes('${')) continue;
        if (kind === 'variable' && /^variable\.[^.]+\.type$/.test(where)) continue; // a type, not a reference
        const references = await hcl.getReferencesInExpression(file, text);
        for (const { value } of references) {
          const [root, first, second] = value.split('.');
          const at = `${file}: ${where.replace(/^(\w+)\./, '$1 ')}`;
          if (root === 'var') {
            if (kind !== 'variable') usedVariables.add(first); // its own validation is not a use
            if (!declared.variable.has(first)) problems.push(`${at}: var.${first} is used but no variable "${first}" is declared (variables.tf)`);
          } else if (root === 'local') {
            if (!declared.local.has(first)) problems.push(`${at}: local.${first} is used but not defined in a locals block`);
          } else if (root === 'data') {
            if (!declared.data.has(`${first}.${second}`)) problems.push(`${at}: data.${first}.${second} is used but not declared`);
          } else if (root === 'module') {
            if (!declared.module.has(first)) problems.push(`${at}: module.${first} is used but not declared`);
          } else if (!BUILTIN_ROOTS.has(root) && !iterators.has(root)) {
            if (first === undefined) problems.push(`${at}: "${value}" is not a known reference`);
            else if (!declared.resource.has(`${root}.${first}`)) problems.push(`${at}: ${root}.${first} is used but no resource "${root}" "${first}" is declared`);
          }
        }
      }
    }
  }
  for (const [name, { file }] of declared.variable)
    if (!usedVariables.has(name)) problems.push(`${file}: variable "${name}" is declared but never used`);

  problems.push(...terraformContract(parsed, declared));
  return problems;
}

function terraformContract(parsed, declared) {
  const problems = [];
  const functions = parsed.flatMap(({ file, body }) =>
    Object.entries(body.resource?.aws_lambda_function ?? {}).map(([name, blocks]) => ({ file, name, block: blocks[0] })),
  );
  if (functions.length !== 1) return [`main.tf: expected exactly one aws_lambda_function, found ${functions.length}`];
  const [{ file, name, block }] = functions;
  const at = `${file}: aws_lambda_function.${name}`;
  const variableDefault = (expression) => {
    const match = /^\$\{var\.(\w+)\}$/.exec(String(expression));
    return match ? declared.variable.get(match[1])?.block.default : expression;
  };
  if (block.handler !== CONTRACT.handler) problems.push(`${at}: handler must be "${CONTRACT.handler}" (the bundle's export)`);
  if (variableDefault(block.runtime) !== CONTRACT.runtime) problems.push(`${at}: runtime must default to ${CONTRACT.runtime}`);
  if (block.reserved_concurrent_executions !== 1) problems.push(`${at}: reserved_concurrent_executions must be 1 (two refreshes must never run at once)`);
  if (!block.vpc_config) problems.push(`${at}: vpc_config is missing (the function must run in the given subnets)`);
  if (variableDefault(block.memory_size) !== CONTRACT.memoryMb) problems.push(`${at}: memory_size must default to ${CONTRACT.memoryMb}`);
  if (variableDefault(block.timeout) !== CONTRACT.timeoutSeconds) problems.push(`${at}: timeout must default to ${CONTRACT.timeoutSeconds}`);
  const mainText = parsed.map(({ text }) => text).join('\n');
  for (const variable of CONTRACT.environment)
    if (!new RegExp(`\\b${variable}\\s*=`).test(mainText)) problems.push(`${at}: environment variable ${variable} is never set`);
  const logGroups = parsed.flatMap(({ body }) => Object.values(body.resource?.aws_cloudwatch_log_group ?? {}).map((blocks) => blocks[0]));
  if (logGroups.length !== 1 || variableDefault(logGroups[0].retention_in_days) !== CONTRACT.logRetentionDays)
    problems.push(`${file}: one aws_cloudwatch_log_group with retention_in_days defaulting to ${CONTRACT.logRetentionDays} is expected`);
  for (const output of ['function_arn', 'function_name', 'role_arn', 'invoke_policy_json'])
    if (!declared.output.has(output)) problems.push(`outputs.tf: output "${output}" is missing`);
  return problems;
}

// ---------------------------------------------------------- CloudFormation

const SCALAR_FUNCTIONS = { '!Ref': 'Ref', '!Condition': 'Condition', '!Sub': 'Fn::Sub', '!Base64': 'Fn::Base64', '!GetAZs': 'Fn::GetAZs', '!ImportValue': 'Fn::ImportValue', '!GetAtt': 'Fn::GetAtt' };
const SEQUENCE_FUNCTIONS = { '!If': 'Fn::If', '!Equals': 'Fn::Equals', '!Not': 'Fn::Not', '!And': 'Fn::And', '!Or': 'Fn::Or', '!Join': 'Fn::Join', '!Select': 'Fn::Select', '!Split': 'Fn::Split', '!FindInMap': 'Fn::FindInMap', '!Sub': 'Fn::Sub', '!Cidr': 'Fn::Cidr', '!GetAtt': 'Fn::GetAtt', '!Base64': 'Fn::Base64', '!ImportValue': 'Fn::ImportValue' };
const MAPPING_FUNCTIONS = { '!Base64': 'Fn::Base64', '!ImportValue': 'Fn::ImportValue', '!Sub': 'Fn::Sub' };

const CFN_TAGS = [
  ...Object.entries(SCALAR_FUNCTIONS).map(([tag, fn]) => ({
    tag,
    resolve: (text) => ({ [fn]: fn === 'Fn::GetAtt' ? text.split(/\.(.*)/s).slice(0, 2) : text }),
  })),
  ...Object.entries(SEQUENCE_FUNCTIONS).map(([tag, fn]) => ({ tag, collection: 'seq', resolve: (seq) => ({ [fn]: seq.toJSON() }) })),
  ...Object.entries(MAPPING_FUNCTIONS).map(([tag, fn]) => ({ tag, collection: 'map', resolve: (map) => ({ [fn]: map.toJSON() }) })),
];

const TEMPLATE_SECTIONS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy', 'UpdateReplacePolicy', 'UpdatePolicy', 'CreationPolicy']);
const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);
const PARAMETER_TYPE = /^(String|Number|List<Number>|CommaDelimitedList|AWS::[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+(::[A-Za-z0-9]+)?|List<AWS::[A-Za-z0-9:]+>|AWS::SSM::Parameter::(Name|Value<[^>]+>))$/;

function isIntrinsic(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::'));
}

/** Checks a property value against its schema type; intrinsic functions stand for any value. */
function checkValue(spec, type, value, where, problems) {
  if (isIntrinsic(value)) {
    const [fn] = Object.keys(value);
    // Fn::If picks one of two values: both must fit the type.
    if (fn === 'Fn::If' && Array.isArray(value[fn])) for (const branch of value[fn].slice(1)) checkValue(spec, type, branch, where, problems);
    return;
  }
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (typeof value === 'object' && value !== null) problems.push(`${where}: expected a string`);
      else if (type.allowedValues && !type.allowedValues.includes(String(value))) problems.push(`${where}: "${value}" is not one of ${type.allowedValues.join(', ')}`);
      return;
    case 'number':
    case 'integer':
      if (typeof value === 'object' || value === '' || Number.isNaN(Number(value))) problems.push(`${where}: expected a number`);
      return;
    case 'boolean':
      if (!['true', 'false'].includes(String(value))) problems.push(`${where}: expected true or false`);
      return;
    case 'array':
      if (!Array.isArray(value)) problems.push(`${where}: expected a list`);
      else value.forEach((item, index) => checkValue(spec, type.element, item, `${where}[${index}]`, problems));
      return;
    case 'map':
      if (!value || typeof value !== 'object' || Array.isArray(value)) problems.push(`${where}: expected a mapping`);
      else for (const [key, item] of Object.entries(value)) checkValue(spec, type.element, item, `${where}.${key}`, problems);
      return;
    case 'union': {
      const attempts = type.types.map((candidate) => {
        const found = [];
        checkValue(spec, candidate, value, where, found);
        return found;
      });
      const best = attempts.reduce((a, b) => (b.length < a.length ? b : a));
      problems.push(...best);
      return;
    }
    case 'ref': {
      const definition = spec.get('typeDefinition', type.reference.$ref);
      checkProperties(spec, definition.properties, value, where, problems);
      return;
    }
    case 'tag':
      if (!value || typeof value !== 'object' || !('Key' in value) || !('Value' in value)) problems.push(`${where}: expected a tag { Key, Value }`);
      return;
    default: // json, null: any value
      return;
  }
}

function checkProperties(spec, properties, value, where, problems) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${where}: expected a mapping`);
    return;
  }
  for (const [name, item] of Object.entries(value)) {
    const property = properties[name];
    if (!property) {
      const known = Object.keys(properties);
      const near = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase() || editDistance(candidate, name) <= 2);
      problems.push(`${where}.${name}: unknown property${near ? ` (did you mean ${near}?)` : ''}; known: ${known.sort().join(', ')}`);
      continue;
    }
    checkValue(spec, property.type, item, `${where}.${name}`, problems);
  }
  for (const [name, property] of Object.entries(properties))
    if (property.required && !(name in value)) problems.push(`${where}: required property ${name} is missing`);
}

function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** Ref / GetAtt / Sub / Fn::If / Condition targets in any value. */
function* referencesIn(value, where) {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* referencesIn(item, `${where}[${index}]`);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'Ref' && typeof item === 'string') yield { kind: 'ref', name: item, where };
    else if (key === 'Fn::GetAtt') {
      const [resource, attribute] = Array.isArray(item) ? item : String(item).split(/\.(.*)/s);
      yield { kind: 'getatt', name: resource, attribute, where };
    } else if (key === 'Fn::Sub') {
      const [text, variables = {}] = Array.isArray(item) ? item : [item, {}];
      for (const [, name] of String(text).matchAll(/\$\{(?!!)([^}]+)\}/g)) {
        if (name in variables) continue;
        const [resource, attribute] = name.split(/\.(.*)/s);
        yield attribute ? { kind: 'getatt', name: resource, attribute, where } : { kind: 'ref', name, where };
      }
      if (Array.isArray(item)) yield* referencesIn(variables, `${where}.Fn::Sub`);
      continue;
    } else if ((key === 'Fn::If' && Array.isArray(item)) || key === 'Condition') {
      const condition = key === 'Fn::If' ? item[0] : item;
      if (typeof condition === 'string') yield { kind: 'condition', name: condition, where };
    }
    yield* referencesIn(key === 'Fn::If' && Array.isArray(item) ? item.slice(1) : item, `${where}.${key}`);
  }
}

export async function validateCloudFormation(file) {
  const name = path.basename(file);
  const text = await readFile(file, 'utf8');
  const document = parseDocument(text, { customTags: CFN_TAGS, prettyErrors: true });
  const problems = [...document.errors, ...document.warnings].map((error) => `${name}: YAML: ${error.message.split('\n')[0]}`);
  if (problems.length > 0) return problems;
  const template = document.toJS();
  if (!template || typeof template !== 'object') return [`${name}: not a template (expected a mapping)`];

  for (const section of Object.keys(template)) if (!TEMPLATE_SECTIONS.has(section)) problems.push(`${name}: unknown top-level section ${section}`);
  if (template.AWSTemplateFormatVersion !== undefined && String(template.AWSTemplateFormatVersion) !== '2010-09-09')
    problems.push(`${name}: AWSTemplateFormatVersion must be "2010-09-09"`);
  const parameters = template.Parameters ?? {};
  const resources = template.Resources ?? {};
  const conditions = template.Conditions ?? {};
  if (Object.keys(resources).length === 0) problems.push(`${name}: Resources is empty`);

  for (const [parameter, definition] of Object.entries(parameters)) {
    if (!PARAMETER_TYPE.test(String(definition?.Type))) problems.push(`${name}: Parameters.${parameter}.Type "${definition?.Type}" is not a CloudFormation parameter type`);
    if (definition?.AllowedValues && definition.Default !== undefined && !definition.AllowedValues.map(String).includes(String(definition.Default)))
      problems.push(`${name}: Parameters.${parameter}.Default is not one of its AllowedValues`);
  }

  const spec = loadParserPackage('@aws-cdk/aws-service-spec').loadAwsServiceSpecSync();
  const schemas = new Map();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const where = `${name}: Resources.${logicalId}`;
    for (const key of Object.keys(resource ?? {})) if (!RESOURCE_KEYS.has(key)) problems.push(`${where}.${key}: not a resource attribute`);
    const [schema] = spec.lookup('resource', 'cloudFormationType', 'equals', String(resource?.Type));
    if (!schema) {
      problems.push(`${where}.Type: "${resource?.Type}" is not a CloudFormation resource type`);
      continue;
    }
    schemas.set(logicalId, schema);
    checkProperties(spec, schema.properties, resource.Properties ?? {}, `${where}.Properties`, problems);
    for (const dependency of [resource.DependsOn ?? []].flat())
      if (!(dependency in resources)) problems.push(`${where}.DependsOn: no resource ${dependency}`);
  }

  const used = new Set();
  for (const [section, body] of Object.entries({ Conditions: conditions, Resources: resources, Outputs: template.Outputs ?? {} })) {
    for (const reference of referencesIn(body, section)) {
      const at = `${name}: ${reference.where}`;
      if (reference.kind === 'condition') {
        if (!(reference.name in conditions)) problems.push(`${at}: condition ${reference.name} is not declared in Conditions`);
      } else if (reference.kind === 'ref') {
        used.add(reference.name);
        if (!(reference.name in parameters) && !(reference.name in resources) && !PSEUDO_PARAMETERS.has(reference.name))
          problems.push(`${at}: ${reference.name} is neither a parameter, a resource nor a pseudo parameter`);
      } else {
        const schema = schemas.get(reference.name);
        if (!(reference.name in resources)) problems.push(`${at}: GetAtt on ${reference.name}, which is not a resource`);
        else if (schema && !(reference.attribute in schema.attributes))
          problems.push(`${at}: ${schema.cloudFormationType} has no attribute ${reference.attribute} (it has ${Object.keys(schema.attributes).join(', ')})`);
      }
    }
  }
  for (const parameter of Object.keys(parameters)) if (!used.has(parameter)) problems.push(`${name}: parameter ${parameter} is declared but never used`);

  problems.push(...cloudFormationContract(name, template));
  return problems;
}

function cloudFormationContract(name, template) {
  const problems = [];
  const resources = Object.entries(template.Resources ?? {});
  const functions = resources.filter(([, resource]) => resource?.Type === 'AWS::Lambda::Function');
  if (functions.length !== 1) return [`${name}: expected exactly one AWS::Lambda::Function, found ${functions.length}`];
  const [[logicalId, { Properties: properties = {} }]] = functions;
  const at = `${name}: Resources.${logicalId}.Properties`;
  const parameterDefault = (value) => (isIntrinsic(value) && value.Ref ? template.Parameters?.[value.Ref]?.Default : value);
  if (properties.Handler !== CONTRACT.handler) problems.push(`${at}.Handler must be "${CONTRACT.handler}" (the bundle's export)`);
  if (parameterDefault(properties.Runtime) !== CONTRACT.runtime) problems.push(`${at}.Runtime must be ${CONTRACT.runtime}`);
  if (Number(properties.ReservedConcurrentExecutions) !== 1) problems.push(`${at}.ReservedConcurrentExecutions must be 1 (two refreshes must never run at once)`);
  if (!properties.VpcConfig) problems.push(`${at}.VpcConfig is missing (the function must run in the given subnets)`);
  if (Number(parameterDefault(properties.MemorySize)) !== CONTRACT.memoryMb) problems.push(`${at}.MemorySize must default to ${CONTRACT.memoryMb}`);
  if (Number(parameterDefault(properties.Timeout)) !== CONTRACT.timeoutSeconds) problems.push(`${at}.Timeout must default to ${CONTRACT.timeoutSeconds}`);
  const variables = properties.Environment?.Variables ?? {};
  for (const variable of CONTRACT.environment) if (!(variable in variables)) problems.push(`${at}.Environment.Variables.${variable} is missing`);
  const logGroups = resources.filter(([, resource]) => resource?.Type === 'AWS::Logs::LogGroup');
  if (logGroups.length !== 1 || Number(parameterDefault(logGroups[0][1].Properties?.RetentionInDays)) !== CONTRACT.logRetentionDays)
    problems.push(`${name}: one AWS::Logs::LogGroup with RetentionInDays defaulting to ${CONTRACT.logRetentionDays} is expected`);
  for (const output of ['FunctionArn', 'FunctionName', 'RoleArn', 'InvokePolicyJson'])
    if (!(output in (template.Outputs ?? {}))) problems.push(`${name}: output ${output} is missing`);
  return problems;
}

// ---------------------------------------------------------------- CLI

async function main(argv) {
  const option = (flag, fallback) => {
    const index = argv.indexOf(flag);
    return index >= 0 && argv[index + 1] ? path.resolve(argv[index + 1]) : fallback;
  };
  const terraformDir = option('--terraform', path.join(repoRoot, 'deploy/terraform'));
  const cloudFormationFile = option('--cloudformation', path.join(repoRoot, 'deploy/cloudformation/function.yaml'));
  const label = (target) => {
    const relative = path.relative(process.cwd(), target);
    return relative && !relative.startsWith('..') ? relative : target;
  };
  let failed = false;
  for (const [name, problems] of [
    [label(terraformDir), await validateTerraform(terraformDir)],
    [label(cloudFormationFile), await validateCloudFormation(cloudFormationFile)],
  ]) {
    if (problems.length === 0) {
      console.log(`ok  ${name}`);
      continue;
    }
    failed = true;
    console.error(`${name} is not valid:`);
    for (const problem of problems) console.error(`  ${problem}`);
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
