import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { maximumRetryWindowSeconds, WEBHOOK_DELIVERY, WEBHOOK_MAX_ATTEMPTS } from '../../lambda/notify/retry-schedule';
import { ConfigError, resolveConfig } from '../../lib/config';
import { Webhooks } from '../../lib/constructs/webhooks';
import { type SynthesizedApp, synthesize, synthesizeDefault } from '../support/synth';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: any; Condition?: any };

const WEBHOOK_URL = 'https://hooks.example.com/vod';
const SECRET_DESCRIPTION = 'HMAC-SHA256 key of the Webhook-Signature header; receivers keep a copy';
const SQS_ENDPOINT = 'com.amazonaws.eu-west-1.sqs';

/** A resource reference without its hash: `Fn::GetAtt [CatalogTable1A2B3C4D, Arn]` → `CatalogTable`. */
function label(resource: unknown): string {
  const name = (id: string) => id.replace(/[0-9A-F]{8}$/, '');
  if (resource === '*') return '*';
  const value = resource as Record<string, any>;
  if (value.Ref) return name(value.Ref);
  if (value['Fn::GetAtt']) return name(value['Fn::GetAtt'][0]);
  if (value['Fn::Join'])
    return (value['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : label(part))).join('');
  throw new Error(`unexpected resource ${JSON.stringify(resource)}`);
}

/** What a role may do, as `action on resource` lines. */
function permissions(statements: Statement[]): string[] {
  return statements
    .flatMap((statement) =>
      [statement.Action].flat().flatMap((action) => [statement.Resource].flat().map((r) => `${action} on ${label(r)}`)),
    )
    .sort();
}

/** The synthesized platform stack of one configuration, with lookups by construct. */
function inspect(app: SynthesizedApp) {
  const { platform, platformTemplate: template } = app;
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const idOf = (construct: IConstruct) =>
    platform.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
  const resourceOf = (construct: IConstruct) => resources[idOf(construct)] as Resource;
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const nameOf = (construct: IConstruct) => label({ Ref: idOf(construct) });
  const getAtt = (construct: IConstruct, attribute = 'Arn') => ({ 'Fn::GetAtt': [idOf(construct), attribute] });
  const statementsOf = (role: IConstruct): Statement[] =>
    ofType('AWS::IAM::Policy')
      .filter(([, policy]) =>
        (policy.Properties.Roles as unknown[]).some(
          (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: idOf(role) }),
        ),
      )
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
  return { platform, template, resources, idOf, resourceOf, ofType, nameOf, getAtt, statementsOf };
}

type Inspected = ReturnType<typeof inspect>;

describe('Webhooks', () => {
  let hooks: Inspected;
  let plain: Inspected;
  let webhooks: Webhooks;

  // Two whole-app synths, shared by every test: they may take longer than the default timeout.
  beforeAll(() => {
    hooks = inspect(synthesize({ webhookUrl: WEBHOOK_URL }));
    if (!hooks.platform.webhooks) throw new Error('the platform made no Webhooks with webhookUrl set');
    webhooks = hooks.platform.webhooks;
    plain = inspect(synthesizeDefault());
  }, 180_000);

  describe('the webhook queue', () => {
    it('is encrypted with the webhooks key and dead-letters an event after WEBHOOK_MAX_ATTEMPTS attempts', () => {
      // Prepare
      const { resourceOf, getAtt } = hooks;

      // Act
      const queue = resourceOf(webhooks.queue).Properties;

      // Assess
      expect(queue.KmsMasterKeyId).toEqual(getAtt(webhooks.encryptionKey));
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: getAtt(webhooks.deadLetterQueue),
        maxReceiveCount: WEBHOOK_MAX_ATTEMPTS,
      });
    });

    it('keeps an event for the longest retry schedule, and hides it longer than one delivery may run', () => {
      // Prepare
      const { resourceOf } = hooks;

      // Act
      const queue = resourceOf(webhooks.queue).Properties;
      const timeout = resourceOf(webhooks.deliveryFunction).Properties.Timeout;

      // Assess
      expect(queue.MessageRetentionPeriod).toBeGreaterThanOrEqual(maximumRetryWindowSeconds());
      expect(typeof timeout).toBe('number');
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(timeout);
    });

    it('keeps dead-lettered events encrypted for 14 days', () => {
      // Prepare
      const { resourceOf, getAtt } = hooks;

      // Act
      const queue = resourceOf(webhooks.deadLetterQueue).Properties;

      // Assess
      expect(queue.KmsMasterKeyId).toEqual(getAtt(webhooks.encryptionKey));
      expect(queue.MessageRetentionPeriod).toBe(14 * 86_400);
    });

    it.each([
      ['webhook queue', 'queue'],
      ['dead-letter queue', 'deadLetterQueue'],
    ] as const)('denies every request to the %s made without TLS', (_what, property) => {
      // Prepare
      const { ofType, idOf, getAtt } = hooks;
      const queueId = idOf(webhooks[property]);

      // Act
      const statements = ofType('AWS::SQS::QueuePolicy')
        .filter(([, p]) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);

      // Assess
      expect(statements).toContainEqual({
        Effect: 'Deny',
        Action: 'sqs:*',
        Principal: { AWS: '*' },
        Resource: getAtt(webhooks[property]),
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    });

    it('raises an alarm to the alarm topic as soon as an event is dead-lettered', () => {
      // Prepare
      const { platform, template, getAtt, idOf } = hooks;
      const topic = { Ref: idOf(platform.alarmTopic) };

      // Act and assess
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(webhooks.deadLetterQueue, 'QueueName') }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic],
        OKActions: [topic],
      });
    });
  });

  describe('the signing secret', () => {
    it('is generated by Secrets Manager: 48 characters without punctuation, encrypted with the webhooks key', () => {
      // Prepare
      const { resourceOf, getAtt } = hooks;

      // Act
      const secret = resourceOf(webhooks.secret).Properties;

      // Assess
      expect(secret.GenerateSecretString).toMatchObject({ PasswordLength: 48, ExcludePunctuation: true });
      expect(secret.SecretString).toBeUndefined();
      expect(secret.KmsKeyId).toEqual(getAtt(webhooks.encryptionKey));
      expect(secret.Description).toBe(SECRET_DESCRIPTION);
    });

    it('is named in the WebhookSecretArn output', () => {
      hooks.template.hasOutput('WebhookSecretArn', { Value: { Ref: hooks.idOf(webhooks.secret) } });
    });
  });

  describe('the delivery function', () => {
    it('runs outside the VPC, told the receiver’s URL, the secret and the queue', () => {
      // Prepare
      const { resourceOf, idOf } = hooks;

      // Act
      const fn = resourceOf(webhooks.deliveryFunction).Properties;

      // Assess
      expect(fn.VpcConfig).toBeUndefined();
      expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      expect(fn.Environment.Variables).toMatchObject({
        WEBHOOK_URL,
        WEBHOOK_SECRET_ARN: { Ref: idOf(webhooks.secret) },
        WEBHOOK_QUEUE_URL: { Ref: idOf(webhooks.queue) },
      });
    });

    it('consumes the webhook queue in batches, reporting failed items', () => {
      // Prepare
      const { template, idOf, getAtt } = hooks;

      // Act and assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: idOf(webhooks.deliveryFunction) },
        EventSourceArn: getAtt(webhooks.queue),
        BatchSize: WEBHOOK_DELIVERY.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('may read only this secret and consume only this queue, and nothing else but its logs and traces', () => {
      // Prepare
      const { statementsOf, nameOf } = hooks;
      const logs = nameOf(webhooks.deliveryFunction.logGroup);
      const queue = nameOf(webhooks.queue);
      const secret = nameOf(webhooks.secret);

      // Act
      const granted = permissions(statementsOf(webhooks.deliveryFunction.role as IConstruct));

      // Assess
      expect(granted).toEqual(
        [
          `logs:CreateLogStream on ${logs}`,
          `logs:PutLogEvents on ${logs}`,
          'xray:PutTelemetryRecords on *',
          'xray:PutTraceSegments on *',
          `secretsmanager:DescribeSecret on ${secret}`,
          `secretsmanager:GetSecretValue on ${secret}`,
          `sqs:ChangeMessageVisibility on ${queue}`,
          `sqs:DeleteMessage on ${queue}`,
          `sqs:GetQueueAttributes on ${queue}`,
          `sqs:GetQueueUrl on ${queue}`,
          `sqs:ReceiveMessage on ${queue}`,
          `kms:Decrypt on ${nameOf(webhooks.encryptionKey)}`,
        ].sort(),
      );
    });
  });

  describe('publishers', () => {
    it('lets the API’s delete route send to the webhook queue, and do nothing else with it', () => {
      // Prepare
      const { platform, statementsOf, nameOf } = hooks;
      const role = platform.api.functions.deleteVideo?.role as IConstruct;
      const queue = nameOf(webhooks.queue);
      const key = nameOf(webhooks.encryptionKey);

      // Act
      const granted = permissions(statementsOf(role)).filter(
        (line) => line.endsWith(` on ${queue}`) || line.endsWith(` on ${key}`),
      );

      // Assess
      expect(granted).toEqual([
        `kms:Decrypt on ${key}`,
        `kms:GenerateDataKey on ${key}`,
        `sqs:SendMessage on ${queue}`,
      ]);
    });

    it('lets only the delete route, the job-state function and the delivery function touch the webhook queue', () => {
      // Prepare
      const { platform, ofType, nameOf } = hooks;
      const queue = nameOf(webhooks.queue);
      const roleName = (role: IConstruct | undefined) => nameOf(role as IConstruct);

      // Act
      const touching = ofType('AWS::IAM::Policy')
        .filter(([, policy]) =>
          permissions(policy.Properties.PolicyDocument.Statement).some((line) => line.endsWith(` on ${queue}`)),
        )
        .flatMap(([, policy]) => (policy.Properties.Roles as unknown[]).map((ref) => label(ref)))
        .sort();

      // Assess
      expect(touching).toEqual(
        [
          roleName(platform.api.functions.deleteVideo?.role),
          roleName(platform.pipeline.jobStateFunction.role),
          roleName(webhooks.deliveryFunction.role),
        ].sort(),
      );
    });

    it('reaches SQS from the VPC through an interface endpoint', () => {
      // Prepare
      const { platform, template, idOf } = hooks;

      // Act and assess
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: SQS_ENDPOINT,
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        VpcId: { Ref: idOf(platform.cache.vpc) },
      });
    });
  });

  describe('without a webhookUrl', () => {
    it('makes no signing secret, no webhooks and no WebhookSecretArn output', () => {
      // Prepare
      const { platform, ofType, template } = plain;

      // Act
      const secrets = ofType('AWS::SecretsManager::Secret').map(([, secret]) => secret.Properties.Description);

      // Assess
      expect(platform.webhooks).toBeUndefined();
      expect(secrets).not.toContain(SECRET_DESCRIPTION);
      expect(secrets.length).toBeGreaterThan(0);
      expect(Object.keys(template.findOutputs('WebhookSecretArn'))).toEqual([]);
    });

    it('makes no SQS interface endpoint', () => {
      // Prepare
      const { ofType } = plain;

      // Act
      const services = ofType('AWS::EC2::VPCEndpoint').map(([, endpoint]) => endpoint.Properties.ServiceName);

      // Assess
      expect(services).not.toContain(SQS_ENDPOINT);
      expect(services).toContain('com.amazonaws.eu-west-1.secretsmanager');
    });

    it('tells no function of a webhook queue, and lets no role send to one', () => {
      // Prepare
      const { ofType } = plain;

      // Act
      const variables = ofType('AWS::Lambda::Function').flatMap(([, fn]) =>
        Object.keys(fn.Properties.Environment?.Variables ?? {}),
      );
      const sends = ofType('AWS::IAM::Policy').flatMap(([, policy]) =>
        permissions(policy.Properties.PolicyDocument.Statement).filter((line) => line.startsWith('sqs:SendMessage on')),
      );

      // Assess
      expect(variables.length).toBeGreaterThan(0);
      expect(variables).not.toContain('WEBHOOK_QUEUE_URL');
      expect(variables).not.toContain('WEBHOOK_URL');
      expect(sends).toEqual(['sqs:SendMessage on TranscodingJobEventDeadLetterQueue']);
    });
  });

  describe('refuses receivers it cannot deliver to safely', () => {
    it('refuses plain http to a host other than loopback, naming the URL', () => {
      // Prepare
      const stack = new Stack();

      // Act and assess
      expect(() => new Webhooks(stack, 'W', { url: 'http://example.com' })).toThrow(
        'Webhooks: url must be an https:// URL (or http:// to loopback for local tests), received "http://example.com"',
      );
    });

    it('accepts plain http to loopback, for local tests', () => {
      // Prepare: no stack bundles, as in the synth helper.
      const stack = new Stack(new App({ context: { [BUNDLING_STACKS]: [] } }), 'Local');

      // Act
      const local = new Webhooks(stack, 'W', { url: 'http://127.0.0.1:8080/hook' });

      // Assess
      expect(local.deliveryFunction).toBeDefined();
    });

    it('is not configurable with a non-https webhookUrl', () => {
      // Prepare
      const overrides = { webhookUrl: 'ftp://x' };

      // Act and assess
      expect(() => resolveConfig(overrides)).toThrow(ConfigError);
      expect(() => resolveConfig(overrides)).toThrow(
        'Invalid config "vod.webhookUrl": expected an https:// URL without credentials or fragment, received "ftp://x"',
      );
    });
  });
});
