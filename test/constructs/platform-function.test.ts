import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { handlerEntry, PlatformFunction, type PlatformFunctionProps } from '../../lib/constructs/platform-function';
import { PlatformKey } from '../../lib/constructs/platform-key';
import { permissions, type Resource, type Statement } from '../support/template';

const OUTSIDE_VPC = 'Calls only public AWS APIs by IAM and touches no private resource of the VPC.';
const STACK_UUID = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };

/** A stack that bundles nothing (as the synth helper), a key, a VPC, and props for a function outside it. */
function setUp() {
  const stack = new Stack(new App({ context: { [BUNDLING_STACKS]: [] } }), 'Test', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });
  const key = new PlatformKey(stack, 'Key', { description: 'Encrypts the test logs' });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const props: PlatformFunctionProps = {
    entry: handlerEntry('notify', 'deliver-webhooks'),
    description: 'Delivers test events',
    roleDescription: 'Runs the test function',
    logName: 'deliver',
    logKey: key,
    timeout: Duration.seconds(30),
    outsideVpcReason: OUTSIDE_VPC,
  };
  return { stack, key, vpc, props };
}

const resources = (stack: Stack) => Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
const ofType = (stack: Stack, type: string) => Object.values(resources(stack)).filter((r) => r.Type === type);

describe('PlatformFunction', () => {
  describe('its log group', () => {
    it('is encrypted with the given key, kept a year, retained, and named /<owner>/<logName>-<stack UUID>', () => {
      // Prepare
      const { stack, key, props } = setUp();

      // Act
      const fn = new PlatformFunction(stack, 'Deliver', props);

      // Assess
      const group =
        Template.fromStack(stack).toJSON().Resources[
          stack.getLogicalId(fn.functionLogGroup.node.defaultChild as never)
        ];
      expect(group).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: {
          KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] },
          RetentionInDays: 365,
          LogGroupName: { 'Fn::Join': ['', ['/Test/deliver-', STACK_UUID]] },
        },
      });
      expect(fn.logGroup).toBe(fn.functionLogGroup);
    });

    it('is the only thing its role may write, besides X-Ray traces', () => {
      // Prepare
      const { stack, props } = setUp();

      // Act
      const fn = new PlatformFunction(stack, 'Deliver', props);

      // Assess
      const roleId = stack.getLogicalId(fn.executionRole.node.defaultChild as never);
      const statements = ofType(stack, 'AWS::IAM::Policy')
        .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
      const logs = stack.getLogicalId(fn.functionLogGroup.node.defaultChild as never).replace(/[0-9A-F]{8}$/, '');
      expect(permissions(statements)).toEqual([
        `logs:CreateLogStream on ${logs}`,
        `logs:PutLogEvents on ${logs}`,
        'xray:PutTelemetryRecords on *',
        'xray:PutTraceSegments on *',
      ]);
      expect(fn.role).toBe(fn.executionRole);
    });

    it('lets CloudWatch Logs use the key for the owner’s log groups only, in one statement for several functions', () => {
      // Prepare
      const { stack, key, props } = setUp();

      // Act
      new PlatformFunction(stack, 'First', props);
      new PlatformFunction(stack, 'Second', { ...props, logName: 'second' });

      // Assess
      const policy = resources(stack)[stack.getLogicalId(key.node.defaultChild as never)]?.Properties.KeyPolicy;
      const forLogs = (policy.Statement as Statement[]).filter((s) => JSON.stringify(s.Principal).includes('logs.'));
      expect(forLogs.map((s) => JSON.stringify(s.Condition))).toEqual([expect.stringContaining(':log-group:/Test/*"')]);
    });
  });

  describe('the VPC attachment', () => {
    it('adds no security group and no VPC config without vpc, and acknowledges why with the given reason', () => {
      // Prepare
      const { stack, props } = setUp();

      // Act
      const fn = new PlatformFunction(stack, 'Deliver', props);

      // Assess
      expect(fn.securityGroup).toBeUndefined();
      expect(ofType(stack, 'AWS::EC2::SecurityGroup')).toEqual([]);
      expect(resources(stack)[stack.getLogicalId(fn.node.defaultChild as never)]?.Properties.VpcConfig).toBeUndefined();
      const acknowledged = fn.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.values(entry.data as Record<string, string>));
      expect(acknowledged).toContain(OUTSIDE_VPC);
    });

    it('adds a security group of its own that lets out HTTPS only, when asked for a VPC without one', () => {
      // Prepare
      const { stack, vpc, props } = setUp();

      // Act
      const fn = new PlatformFunction(stack, 'JobState', {
        ...props,
        outsideVpcReason: undefined,
        vpc: { vpc, subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } },
      });

      // Assess
      const groups = ofType(stack, 'AWS::EC2::SecurityGroup');
      expect(groups).toHaveLength(1);
      expect(groups[0]?.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
      const groupId = stack.getLogicalId(fn.securityGroup?.node.defaultChild as never);
      expect(groupId).toMatch(/^JobStateSecurityGroup/);
      expect(resources(stack)[stack.getLogicalId(fn.node.defaultChild as never)]?.Properties.VpcConfig).toMatchObject({
        SecurityGroupIds: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }],
      });
    });

    it('runs in the security group it is given, adding none, and may manage its network interfaces', () => {
      // Prepare
      const { stack, vpc, props } = setUp();
      const shared = new ec2.SecurityGroup(stack, 'Shared', { vpc, allowAllOutbound: false });

      // Act
      const fn = new PlatformFunction(stack, 'Handler', {
        ...props,
        outsideVpcReason: undefined,
        vpc: { vpc, subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, securityGroup: shared },
      });

      // Assess
      expect(fn.securityGroup).toBe(shared);
      expect(ofType(stack, 'AWS::EC2::SecurityGroup')).toHaveLength(1);
      const actions = ofType(stack, 'AWS::IAM::Policy').flatMap((policy) =>
        (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => [s.Action].flat()),
      );
      expect(actions).toEqual(expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']));
    });
  });

  describe('refuses props it cannot deploy, saying what it received and what it expected', () => {
    it.each([
      [
        'no VPC and no reason',
        { outsideVpcReason: undefined },
        'PlatformFunction Fn: outsideVpcReason must say, in 40 characters or more, why a function without vpc needs none, received undefined',
      ],
      [
        'a reason that says nothing',
        { outsideVpcReason: 'no VPC' },
        'PlatformFunction Fn: outsideVpcReason must say, in 40 characters or more, why a function without vpc needs none, received "no VPC"',
      ],
      [
        'too little memory',
        { memorySize: 64 },
        'PlatformFunction Fn: memorySize must be a whole number of MB from 128 to 10240, received 64',
      ],
      [
        'a timeout beyond Lambda’s 15 minutes',
        { timeout: Duration.minutes(20) },
        'PlatformFunction Fn: timeout must be from 1 s to 900 s (15 minutes), received "1200 s"',
      ],
      ['three retries', { retryAttempts: 3 }, 'PlatformFunction Fn: retryAttempts must be 0, 1 or 2, received 3'],
      [
        'a log name with a space',
        { logName: 'my logs' },
        'EncryptedLogGroup FnLogs: name must be 1-64 letters, digits and dashes, starting with a letter or digit, received "my logs"',
      ],
    ] as const)('refuses %s', (_what, overrides, message) => {
      // Prepare
      const { stack, props } = setUp();

      // Act and assess
      expect(() => new PlatformFunction(stack, 'Fn', { ...props, ...overrides })).toThrow(message);
    });

    it('refuses a reason for running outside a VPC from a function that has one', () => {
      // Prepare
      const { stack, vpc, props } = setUp();

      // Act and assess
      expect(
        () =>
          new PlatformFunction(stack, 'Fn', {
            ...props,
            vpc: { vpc, subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } },
          }),
      ).toThrow(
        `PlatformFunction Fn: outsideVpcReason applies only to a function outside a VPC; this one has vpc, received "${OUTSIDE_VPC}"`,
      );
    });
  });
});
