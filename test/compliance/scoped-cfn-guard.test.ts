import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
import { controlTowerRules, rulesFor, ScopedCfnGuardValidator } from '../../lib/scoped-cfn-guard';

/** Resources that break several Control Tower rules, and one type no rule selects. */
const NON_COMPLIANT_TEMPLATE = {
  Resources: {
    PlainBucket: { Type: 'AWS::S3::Bucket', Properties: {} },
    PlainQueue: { Type: 'AWS::SQS::Queue', Properties: {} },
    OpenFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Role: 'arn:aws:iam::123456789012:role/r',
        Runtime: 'nodejs20.x',
        Handler: 'i.h',
        Code: { ZipFile: 'x' },
      },
    },
    Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' },
  },
};
const EMPTY_TEMPLATE = { Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } };

const findings = (report: PolicyValidationPluginReportBeta1) =>
  report.violations
    .flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.resourceLogicalId}`),
    )
    .sort();

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'vod-guard-'));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function templateFile(name: string, template: unknown): string {
  const path = join(folder, name);
  writeFileSync(path, JSON.stringify(template));
  return path;
}

test('the scoped validator reports exactly what the validator with every rule reports', () => {
  // prepare
  const templatePaths = [templateFile('bad.json', NON_COMPLIANT_TEMPLATE), templateFile('empty.json', EMPTY_TEMPLATE)];
  const context = { templatePaths, appConstruct: new App() };

  // act
  const scoped = new ScopedCfnGuardValidator().validate(context);
  const full = new CfnGuardValidator().validate(context);

  // assess
  expect(findings(full).length).toBeGreaterThan(3);
  expect(findings(scoped)).toEqual(findings(full));
  expect(scoped.success).toBe(false);
});

test('a template whose resource types no rule selects passes without running cfn-guard', () => {
  const report = new ScopedCfnGuardValidator().validate({
    templatePaths: [templateFile('only-handle.json', EMPTY_TEMPLATE)],
    appConstruct: new App(),
  });

  expect(report).toEqual({ success: true, violations: [] });
});

test('rules are chosen by the resource types they name, and a rule naming none always runs', () => {
  const rules = [
    { path: 'bucket.guard', resourceTypes: new Set(['AWS::S3::Bucket']) },
    { path: 'cluster.guard', resourceTypes: new Set(['AWS::Redshift::Cluster']) },
    { path: 'any.guard' },
  ];

  expect(rulesFor(rules, new Set(['AWS::S3::Bucket', 'AWS::SQS::Queue']))).toEqual(['bucket.guard', 'any.guard']);
  expect(rulesFor(rules, new Set())).toEqual(['any.guard']);
});

test('every Control Tower rule that ships with the validator is found, with the types it selects', () => {
  const rules = controlTowerRules();

  expect(rules.length).toBeGreaterThan(200);
  const bucketRules = rules.filter((rule) => rule.resourceTypes?.has('AWS::S3::Bucket'));
  expect(bucketRules.length).toBeGreaterThan(5);
});

test('with a cache folder, a template checked before gets the same findings, under its own path', () => {
  // prepare
  const cacheDirectory = join(folder, 'cache');
  const first = templateFile('first.json', NON_COMPLIANT_TEMPLATE);
  const again = templateFile('again.json', NON_COMPLIANT_TEMPLATE);
  const validator = new ScopedCfnGuardValidator({ cacheDirectory });
  const checked = validator.validate({ templatePaths: [first], appConstruct: new App() });

  // act
  const stored = new ScopedCfnGuardValidator({ cacheDirectory }).validate({
    templatePaths: [again],
    appConstruct: new App(),
  });

  // assess
  expect(readdirSync(cacheDirectory)).toHaveLength(1);
  expect(findings(stored)).toEqual(findings(checked));
  expect(stored.success).toBe(false);
  const paths = stored.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => resource.templatePath),
  );
  expect(new Set(paths)).toEqual(new Set([again]));
});

test('with a cache folder, a changed template is checked again', () => {
  const cacheDirectory = join(folder, 'cache-changed');
  const validator = new ScopedCfnGuardValidator({ cacheDirectory });
  validator.validate({ templatePaths: [templateFile('before.json', EMPTY_TEMPLATE)], appConstruct: new App() });

  const report = validator.validate({
    templatePaths: [templateFile('after.json', NON_COMPLIANT_TEMPLATE)],
    appConstruct: new App(),
  });

  expect(findings(report).length).toBeGreaterThan(3);
  expect(readdirSync(cacheDirectory)).toHaveLength(2);
});
