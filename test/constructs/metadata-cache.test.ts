import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { MetadataCache } from '../../lib/constructs/metadata-cache';
import { synthesizeDefault } from '../support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function resourcesOfType(template: Template, type: string): Resources[string][] {
  return Object.values(template.findResources(type) as Resources);
}

function cacheIn(stack: Stack, props: Partial<ConstructorParameters<typeof MetadataCache>[2]> = {}): MetadataCache {
  return new MetadataCache(stack, 'Cache', { flowLogBucket: new s3.Bucket(stack, 'Logs'), ...props });
}

describe('MetadataCache', () => {
  const { platformTemplate: template, platform } = synthesizeDefault();
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    platform.getLogicalId(construct.node.defaultChild as never);
  const groupId = (group: ec2.ISecurityGroup) => ({ 'Fn::GetAtt': [logicalId(group), 'GroupId'] });
  const apiGroup = groupId(platform.api.securityGroup);
  const cacheGroup = groupId(platform.cache.securityGroup);
  const pipelineGroup = groupId(platform.pipeline.securityGroup);

  it('builds a VPC with no way to the internet: no NAT gateway, no internet gateway', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
  });

  it('spreads two isolated subnets over the first two zones CloudFormation reports, so synth needs no lookup', () => {
    const subnets = resourcesOfType(template, 'AWS::EC2::Subnet');

    expect(subnets.map((subnet) => subnet.Properties.AvailabilityZone)).toEqual([
      { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
    ]);
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  it('logs all VPC traffic to the log bucket', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 's3',
      LogDestination: {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(platform.storage.logBucket), 'Arn'] }, '/vpc-flow-logs/']],
      },
    });
  });

  it.each(['s3', 'dynamodb'])('reaches %s through a free gateway endpoint on the subnets’ routes', (service) => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
      RouteTableIds: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('Isolated') })]),
    });
  });

  it('creates only the interface endpoints the handlers need: Secrets Manager and Cognito', () => {
    const interfaces = resourcesOfType(template, 'AWS::EC2::VPCEndpoint').filter(
      (endpoint) => endpoint.Properties.VpcEndpointType === 'Interface',
    );

    expect(interfaces.map((endpoint) => endpoint.Properties.ServiceName).sort()).toEqual([
      'com.amazonaws.eu-west-1.cognito-idp',
      'com.amazonaws.eu-west-1.secretsmanager',
    ]);
    for (const endpoint of interfaces) expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
  });

  it('lets only the API handlers reach the interface endpoints, on 443', () => {
    const endpointGroups = resourcesOfType(template, 'AWS::EC2::VPCEndpoint')
      .filter((endpoint) => endpoint.Properties.VpcEndpointType === 'Interface')
      .flatMap((endpoint) => endpoint.Properties.SecurityGroupIds);
    const ingress = resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress');

    for (const group of endpointGroups) {
      const rules = ingress.filter((rule) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify(group));
      expect(rules.map((rule) => rule.Properties)).toEqual([
        expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: apiGroup }),
      ]);
    }
  });

  it('runs a Valkey serverless cache in the isolated subnets, encrypted with a rotating customer managed key', () => {
    const keyId = logicalId(platform.cache.encryptionKey);

    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      MajorEngineVersion: '9',
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      SecurityGroupIds: [cacheGroup],
      SubnetIds: [
        { Ref: Match.stringLikeRegexp('IsolatedSubnet1') },
        { Ref: Match.stringLikeRegexp('IsolatedSubnet2') },
      ],
    });
    expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('caps the cache’s storage and compute so its cost is bounded', () => {
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      CacheUsageLimits: { DataStorage: { Maximum: 1, Unit: 'GB' }, ECPUPerSecond: { Maximum: 5000 } },
      SnapshotRetentionLimit: 0,
    });
  });

  it('admits only the API handlers’ and the job-state handler’s security groups to the cache, on 6379 and nothing else', () => {
    const ingress = resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress').filter(
      (rule) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify(cacheGroup),
    );
    const [cacheGroupResource] = resourcesOfType(template, 'AWS::EC2::SecurityGroup').filter(
      (group) => group.Properties.GroupDescription === 'Metadata cache: TLS on 6379 from its clients only',
    );

    expect(ingress.map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, SourceSecurityGroupId: apiGroup }),
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 6379,
        ToPort: 6379,
        SourceSecurityGroupId: pipelineGroup,
      }),
    ]);
    expect(cacheGroupResource?.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('lets the API handlers out only on HTTPS and to the cache', () => {
    const group = template.toJSON().Resources[logicalId(platform.api.securityGroup)];
    const egress = resourcesOfType(template, 'AWS::EC2::SecurityGroupEgress').filter(
      (rule) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify(apiGroup),
    );

    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    expect(egress.map((rule) => rule.Properties.FromPort).sort()).toEqual([443, 443, 6379]);
  });

  it('gives the handlers the endpoint as host:port', () => {
    expect(platform.resolve(platform.cache.endpoint)).toEqual({
      'Fn::Join': [
        '',
        [
          { 'Fn::GetAtt': [logicalId({ node: { defaultChild: platform.cache.cache } }), 'Endpoint.Address'] },
          ':',
          { 'Fn::GetAtt': [logicalId({ node: { defaultChild: platform.cache.cache } }), 'Endpoint.Port'] },
        ],
      ],
    });
  });

  it('creates an interface endpoint once, however many clients ask for it', () => {
    // Prepare
    const stack = new Stack();
    const cache = cacheIn(stack);
    const [first, second] = ['First', 'Second'].map(
      (name) => new ec2.SecurityGroup(stack, name, { vpc: cache.vpc, allowAllOutbound: false }),
    );

    // Act
    const a = cache.addInterfaceEndpoint(
      ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      first as ec2.SecurityGroup,
    );
    const b = cache.addInterfaceEndpoint(
      ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      second as ec2.SecurityGroup,
    );

    // Assess
    expect(a).toBe(b);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 3);
    expect(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')).toHaveLength(2);
  });

  it('takes other usage limits', () => {
    const stack = new Stack();

    cacheIn(stack, { maxDataStorageGb: 5, maxEcpuPerSecond: 20_000 });

    Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      CacheUsageLimits: { DataStorage: { Maximum: 5, Unit: 'GB' }, ECPUPerSecond: { Maximum: 20_000 } },
    });
  });

  it.each([
    [
      { maxEcpuPerSecond: 999 },
      'MetadataCache: maxEcpuPerSecond must be an integer from 1000 to 15000000, received 999',
    ],
    [{ maxDataStorageGb: 0 }, 'MetadataCache: maxDataStorageGb must be an integer from 1 to 5000, received 0'],
    [
      { majorEngineVersion: 'latest' },
      'MetadataCache: majorEngineVersion must be a major version number such as "9", received "latest"',
    ],
  ])('rejects %j, saying what it received', (props, message) => {
    expect(() => cacheIn(new Stack(), props)).toThrow(message);
  });
});
