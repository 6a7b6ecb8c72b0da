import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { createAppAsCli, synthesize, synthesizeDefault, type ValidationReport } from './support/synth';

function acknowledgementsUnder(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => {
        // Each entry maps acknowledged rule ids to their reasons.
        const rules = entry.data as Record<string, string>;
        return Object.entries(rules).map(([id, reason]) => ({ path: construct.node.path, id, reason }));
      }),
  );
}

describe('the CDK app', () => {
  it('synthesizes with no unacknowledged cdk-nag or cfn-guard finding', () => {
    // Prepare and act: synthesize() throws on any unacknowledged finding.
    const { report } = synthesizeDefault();

    // Assess
    const plugins = report.pluginReports.map((plugin) => plugin.pluginName);
    expect(plugins).toContain('cdk-validator-cfnguard');
    for (const plugin of report.pluginReports) {
      expect({ plugin: plugin.pluginName, violations: plugin.violations }).toEqual({
        plugin: plugin.pluginName,
        violations: [],
      });
    }
  });

  it('gives every acknowledgement a specific written reason', () => {
    const { app } = synthesizeDefault();

    const acknowledgements = acknowledgementsUnder(app);

    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledgements) {
      expect({ path, id, reasonLength: reason.trim().length >= 40 }).toEqual({ path, id, reasonLength: true });
    }
  });

  it('fails the synth when a resource breaks a rule that nobody acknowledged, in both checkers', () => {
    // Prepare: the real app plus one bucket with none of the secure defaults.
    const { vod, outdir } = createAppAsCli();
    new s3.Bucket(vod.platform, 'CarelessBucket');

    // Act
    expect(() => vod.app.synth()).toThrow(/[Vv]alidation/);

    // Assess: cdk-nag and cfn-guard both report the careless bucket, and nothing else.
    const report: ValidationReport = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const failing = report.pluginReports.filter((plugin) => plugin.violations.length > 0);
    expect(failing.map((plugin) => plugin.pluginName).sort()).toEqual(['AwsSolutions', 'cdk-validator-cfnguard']);
    for (const plugin of failing) {
      const paths = (plugin.violations as { violatingConstructs: { constructPath: string }[] }[]).flatMap((violation) =>
        violation.violatingConstructs.map((construct) => construct.constructPath),
      );
      expect(new Set(paths)).toEqual(new Set(['VodPlatform/CarelessBucket/Resource']));
    }
  });

  it('puts the CDN web ACL in us-east-1 and the platform in the configured region', () => {
    const { edge, platform } = synthesize({ region: 'ap-southeast-2' });

    expect(edge.region).toBe('us-east-1');
    expect(platform.region).toBe('ap-southeast-2');
  });

  it('wires the CDN web ACL to the distribution across regions', () => {
    const { platformTemplate, edge } = synthesizeDefault();

    // The platform stack reads the edge stack's output in us-east-1.
    platformTemplate.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        WebACLId: {
          'Fn::GetStackOutput': Match.objectLike({ StackName: edge.stackName, Region: 'us-east-1' }),
        },
      }),
    });
  });

  it('deploys the edge stack before the platform stack', () => {
    const { edge, platform } = synthesizeDefault();

    expect(platform.dependencies).toContain(edge);
  });

  it('exports what operators and clients need: API URL, user pool and client, signing key secret', () => {
    const { platformTemplate } = synthesizeDefault();

    const outputs = platformTemplate.toJSON().Outputs;

    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'SigningKeySecretArn', 'SigningKeyStoreArn']),
    );
  });

  it('needs no context lookup, even for a stack pinned to an account (the VPC picks zones at deploy time)', () => {
    // Prepare
    const { vod } = createAppAsCli({ account: '123456789012' });

    // Act
    const assembly = vod.app.synth();

    // Assess
    expect(assembly.manifest.missing ?? []).toEqual([]);
    expect(vod.platform.account).toBe('123456789012');
  });

  it('names stacks after the configured prefix', () => {
    const { edge, platform } = synthesize({ stackPrefix: 'Media' });

    expect([edge.stackName, platform.stackName]).toEqual(['MediaEdge', 'MediaPlatform']);
  });

  it('links the alarms to the runbook published at the runbookUrl setting', () => {
    // Prepare
    const runbookUrl = 'https://wiki.example.com/vod/runbook';

    // Act
    const { platform } = createAppAsCli({ runbookUrl }).vod;
    const descriptions = platform.observability.alarms.map(
      (alarm) => platform.resolve((alarm.node.defaultChild as CfnAlarm).alarmDescription) as string,
    );

    // Assess
    expect(descriptions.length).toBeGreaterThan(0);
    for (const description of descriptions) {
      expect(description.split('\n').at(-1)).toMatch(
        /^Runbook: https:\/\/wiki\.example\.com\/vod\/runbook#[a-z0-9-]+$/,
      );
    }
  });
});
