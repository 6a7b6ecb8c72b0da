import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { SUBMIT_LIMITS } from '../../lambda/transcode/environment';
import { FINAL_JOB_STATES } from '../../lambda/transcode/job-state-event';
import { MediaStorage } from '../../lib/constructs/media-storage';
import { MetadataCache } from '../../lib/constructs/metadata-cache';
import {
  SUBMIT_MEMORY_MB,
  TranscodingPipeline,
  type TranscodingPipelineProps,
} from '../../lib/constructs/transcoding-pipeline';
import { VideoCatalog } from '../../lib/constructs/video-catalog';
import { synthesize, synthesizeDefault } from '../support/synth';
import {
  IN_VPC_FUNCTION_PERMISSIONS,
  type Inspected,
  inspect,
  permissions,
  type Resource,
  type Statement,
} from '../support/template';

const WEBHOOK_URL = 'https://hooks.example.com/vod';
const ACCOUNT = { Ref: 'AWS::AccountId' };

describe('TranscodingPipeline', () => {
  let hooks: Inspected;
  let plain: Inspected;
  const configurations = () => ({ 'with webhooks': hooks, 'without webhooks': plain });

  // Two whole-app synths, shared by every test: they may take longer than the default timeout.
  beforeAll(() => {
    hooks = inspect(synthesize({ webhookUrl: WEBHOOK_URL }));
    plain = inspect(synthesizeDefault());
  }, 180_000);

  describe('the upload queue', () => {
    it('is encrypted with the pipeline key and dead-letters after SUBMIT_LIMITS.maxReceiveCount receives', () => {
      // Prepare
      const { platform, resourceOf, getAtt } = hooks;
      const pipeline = platform.pipeline;

      // Act
      const queue = resourceOf(pipeline.uploadQueue).Properties;

      // Assess
      expect(queue.KmsMasterKeyId).toEqual(getAtt(pipeline.encryptionKey));
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: getAtt(pipeline.uploadDeadLetterQueue),
        maxReceiveCount: SUBMIT_LIMITS.maxReceiveCount,
      });
    });

    it('hides a message at least six times as long as the submit function may run', () => {
      // Prepare
      const { platform, resourceOf } = hooks;

      // Act
      const visibility = resourceOf(platform.pipeline.uploadQueue).Properties.VisibilityTimeout;
      const timeout = resourceOf(platform.pipeline.submitFunction).Properties.Timeout;

      // Assess
      expect(typeof timeout).toBe('number');
      expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
    });

    it.each([
      ['upload notifications', 'uploadDeadLetterQueue'],
      ['job events', 'jobEventDeadLetterQueue'],
    ] as const)('keeps dead-lettered %s encrypted for 14 days', (_what, property) => {
      // Prepare
      const { platform, resourceOf, getAtt } = hooks;

      // Act
      const queue = resourceOf(platform.pipeline[property]).Properties;

      // Assess
      expect(queue.KmsMasterKeyId).toEqual(getAtt(platform.pipeline.encryptionKey));
      expect(queue.MessageRetentionPeriod).toBe(14 * 86_400);
    });

    it.each([
      ['upload queue', 'uploadQueue'],
      ['upload dead-letter queue', 'uploadDeadLetterQueue'],
      ['job-event dead-letter queue', 'jobEventDeadLetterQueue'],
    ] as const)('denies every request to the %s made without TLS', (_what, property) => {
      // Prepare
      const { platform, ofType, idOf, getAtt } = hooks;
      const queueId = idOf(platform.pipeline[property]);

      // Act
      const policies = ofType('AWS::SQS::QueuePolicy').filter(([, policy]) =>
        (policy.Properties.Queues as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: queueId })),
      );
      const statements = policies.flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);

      // Assess
      expect(statements).toContainEqual({
        Effect: 'Deny',
        Action: 'sqs:*',
        Principal: { AWS: '*' },
        Resource: getAtt(platform.pipeline[property]),
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    });

    it('is told by the upload bucket of every source created under uploads/ and ending in /source', () => {
      // Prepare
      const { platform, ofType, idOf, getAtt } = hooks;

      // Act
      const notifications = ofType('Custom::S3BucketNotifications').map(([, resource]) => resource.Properties);

      // Assess
      expect(notifications).toHaveLength(1);
      const [notification] = notifications;
      expect(notification?.BucketName).toEqual({ Ref: idOf(platform.storage.uploadBucket) });
      expect(notification?.NotificationConfiguration.QueueConfigurations).toEqual([
        {
          Events: ['s3:ObjectCreated:*'],
          Filter: {
            Key: {
              FilterRules: expect.arrayContaining([
                { Name: 'prefix', Value: 'uploads/' },
                { Name: 'suffix', Value: '/source' },
              ]),
            },
          },
          QueueArn: getAtt(platform.pipeline.uploadQueue),
        },
      ]);
      expect(notification?.NotificationConfiguration.QueueConfigurations[0].Filter.Key.FilterRules).toHaveLength(2);
      expect(notification?.NotificationConfiguration.TopicConfigurations).toBeUndefined();
      expect(notification?.NotificationConfiguration.LambdaFunctionConfigurations).toBeUndefined();
    });

    it('lets S3 send to it only for the upload bucket, and nobody else in', () => {
      // Prepare
      const { platform, ofType, idOf, getAtt } = hooks;
      const queueId = idOf(platform.pipeline.uploadQueue);

      // Act
      const [[, policy] = ['', {} as Resource]] = ofType('AWS::SQS::QueuePolicy').filter(
        ([, p]) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
      );
      const allows = (policy.Properties.PolicyDocument.Statement as Statement[]).filter((s) => s.Effect === 'Allow');

      // Assess
      expect(allows).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          Resource: getAtt(platform.pipeline.uploadQueue),
          Condition: {
            ArnLike: { 'aws:SourceArn': getAtt(platform.storage.uploadBucket) },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        },
      ]);
    });
  });

  describe('the pipeline key', () => {
    it('lets S3 and EventBridge encrypt queue messages with it', () => {
      // Prepare
      const { platform, resourceOf } = hooks;

      // Act
      const statements = resourceOf(platform.pipeline.encryptionKey).Properties.KeyPolicy.Statement as Statement[];

      // Assess
      expect(statements).toContainEqual({
        Sid: 'AllowAwsServicesToSendToThePipelineQueues',
        Effect: 'Allow',
        Principal: { Service: ['events.amazonaws.com', 's3.amazonaws.com'] },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      });
    });

    it('lets AWS services use it only on behalf of this account or its upload bucket', () => {
      // Prepare
      const { platform, resourceOf, getAtt } = hooks;
      const ownSources = [
        JSON.stringify({ StringEquals: { 'aws:SourceAccount': ACCOUNT } }),
        JSON.stringify({ ArnLike: { 'aws:SourceArn': getAtt(platform.storage.uploadBucket) } }),
      ];

      // Act
      const serviceStatements = (
        resourceOf(platform.pipeline.encryptionKey).Properties.KeyPolicy.Statement as Statement[]
      ).filter((statement) => statement.Effect === 'Allow' && statement.Principal?.Service);

      // CloudWatch Logs may use it for this construct's log groups only (the key also encrypts its logs).
      const forOwnLogGroups = (statement: Statement) =>
        JSON.stringify(statement.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'] ?? '').includes(
          ':log-group:/VodPlatform-Transcoding',
        );

      // Assess: a statement without aws:SourceAccount or aws:SourceArn lets the service act for anyone.
      expect(serviceStatements.length).toBeGreaterThan(0);
      expect(serviceStatements.filter(forOwnLogGroups)).toHaveLength(1);
      expect(
        serviceStatements
          .filter((statement) => !ownSources.includes(JSON.stringify(statement.Condition)))
          .filter((statement) => !forOwnLogGroups(statement))
          .map((statement) => ({ Principal: statement.Principal, Action: statement.Action })),
      ).toEqual([]);
    });
  });

  describe('MediaConvert', () => {
    it('has its own on-demand queue', () => {
      hooks.template.hasResourceProperties('AWS::MediaConvert::Queue', { PricingPlan: 'ON_DEMAND', Status: 'ACTIVE' });
    });

    it('runs jobs as a role only MediaConvert of this account may assume', () => {
      // Prepare
      const { platform, resourceOf } = hooks;

      // Act
      const role = resourceOf(platform.pipeline.mediaConvertRole).Properties;

      // Assess
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'mediaconvert.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ]);
      expect(role.ManagedPolicyArns).toBeUndefined();
    });

    it('lets that role read sources under uploads/ and write outputs under v/, and nothing else', () => {
      // Prepare
      const { platform, statementsOf, nameOf } = hooks;
      const uploads = nameOf(platform.storage.uploadBucket);
      const media = nameOf(platform.storage.mediaBucket);
      const storageKey = nameOf(platform.storage.encryptionKey);

      // Act
      const granted = permissions(statementsOf(platform.pipeline.mediaConvertRole));

      // Assess
      expect(granted).toEqual(
        [
          `s3:GetObject on ${uploads}/uploads/*`,
          `s3:PutObject on ${media}/v/*`,
          `s3:AbortMultipartUpload on ${media}/v/*`,
          `kms:Decrypt on ${storageKey}`,
          `kms:GenerateDataKey on ${storageKey}`,
        ].sort(),
      );
    });
  });

  describe('the submit function', () => {
    it('runs outside the VPC on the newest Node.js, ARM64, traced', () => {
      // Prepare
      const { platform, resourceOf } = hooks;

      // Act
      const fn = resourceOf(platform.pipeline.submitFunction).Properties;

      // Assess
      expect(fn).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.VpcConfig).toBeUndefined();
    });

    it('has room for MediaInfo probing a source that is not a video (1024 MB)', () => {
      // Prepare
      const { platform, resourceOf } = hooks;

      // Act
      const fn = resourceOf(platform.pipeline.submitFunction).Properties;

      // Assess
      expect(fn.MemorySize).toBe(SUBMIT_MEMORY_MB);
      expect(SUBMIT_MEMORY_MB).toBeGreaterThanOrEqual(1024);
    });

    it('is told the MediaConvert role and queue, the catalog table and both buckets', () => {
      // Prepare
      const { platform, resourceOf, idOf, getAtt } = hooks;

      // Act
      const variables = resourceOf(platform.pipeline.submitFunction).Properties.Environment.Variables;

      // Assess
      expect(variables).toMatchObject({
        MEDIACONVERT_ROLE_ARN: getAtt(platform.pipeline.mediaConvertRole),
        MEDIACONVERT_QUEUE_ARN: getAtt(platform.pipeline.mediaConvertQueue),
        CATALOG_TABLE_NAME: { Ref: idOf(platform.catalog.table) },
        UPLOAD_BUCKET_NAME: { Ref: idOf(platform.storage.uploadBucket) },
        MEDIA_BUCKET_NAME: { Ref: idOf(platform.storage.mediaBucket) },
      });
    });

    it('takes batches of SUBMIT_LIMITS.batchSize from the upload queue, reporting failed items, with bounded concurrency', () => {
      // Prepare
      const { platform, template, idOf, getAtt } = hooks;

      // Act and assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: idOf(platform.pipeline.submitFunction) },
        EventSourceArn: getAtt(platform.pipeline.uploadQueue),
        BatchSize: SUBMIT_LIMITS.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 10 },
      });
    });

    it('may make exactly the calls it needs to start a job', () => {
      // Prepare
      const { platform, statementsOf, nameOf } = hooks;
      const { pipeline, storage, catalog } = platform;
      const logs = nameOf(pipeline.submitFunction.logGroup);
      const queue = nameOf(pipeline.uploadQueue);

      // Act
      const granted = permissions(statementsOf(pipeline.submitFunction.role as IConstruct));

      // Assess
      expect(granted).toEqual(
        [
          `logs:CreateLogStream on ${logs}`,
          `logs:PutLogEvents on ${logs}`,
          'xray:PutTelemetryRecords on *',
          'xray:PutTraceSegments on *',
          `dynamodb:GetItem on ${nameOf(catalog.table)}`,
          `dynamodb:UpdateItem on ${nameOf(catalog.table)}`,
          `kms:Decrypt on ${nameOf(catalog.encryptionKey)}`,
          `kms:Encrypt on ${nameOf(catalog.encryptionKey)}`,
          `kms:GenerateDataKey on ${nameOf(catalog.encryptionKey)}`,
          `s3:GetObject on ${nameOf(storage.uploadBucket)}/uploads/*`,
          `kms:Decrypt on ${nameOf(storage.encryptionKey)}`,
          `sqs:ChangeMessageVisibility on ${queue}`,
          `sqs:DeleteMessage on ${queue}`,
          `sqs:GetQueueAttributes on ${queue}`,
          `sqs:GetQueueUrl on ${queue}`,
          `sqs:ReceiveMessage on ${queue}`,
          `kms:Decrypt on ${nameOf(pipeline.encryptionKey)}`,
          `mediaconvert:CreateJob on ${nameOf(pipeline.mediaConvertQueue)}`,
          'mediaconvert:CreateJob on arn:aws:mediaconvert:eu-west-1:AWS::AccountId:jobs/*',
          `iam:PassRole on ${nameOf(pipeline.mediaConvertRole)}`,
        ].sort(),
      );
    });

    it('may not write sources or media, delete videos, or use wildcard actions', () => {
      // Prepare
      const { platform, statementsOf } = hooks;

      // Act
      const actions = statementsOf(platform.pipeline.submitFunction.role as IConstruct).flatMap((s) =>
        [s.Action].flat(),
      );

      // Assess
      expect(actions).not.toContain('s3:PutObject');
      expect(actions).not.toContain('s3:DeleteObject');
      expect(actions).not.toContain('dynamodb:DeleteItem');
      expect(actions).not.toContain('dynamodb:PutItem');
      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    });
  });

  describe('the job-state function', () => {
    it('runs in the cache VPC’s isolated subnets with its own security group', () => {
      // Prepare
      const { platform, resourceOf, getAtt } = hooks;

      // Act
      const fn = resourceOf(platform.pipeline.jobStateFunction).Properties;

      // Assess
      expect(fn.VpcConfig).toEqual({
        SecurityGroupIds: [getAtt(platform.pipeline.securityGroup, 'GroupId')],
        SubnetIds: [
          { Ref: expect.stringMatching(/IsolatedSubnet1/) },
          { Ref: expect.stringMatching(/IsolatedSubnet2/) },
        ],
      });
      expect(platform.pipeline.securityGroup).not.toBe(platform.api.securityGroup);
      expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    });

    it('is retried twice by Lambda, then dead-letters the event into the job-event queue', () => {
      // Prepare
      const { platform, template, resourceOf, idOf, getAtt } = hooks;

      // Act
      const fn = resourceOf(platform.pipeline.jobStateFunction).Properties;

      // Assess
      expect(fn.DeadLetterConfig).toEqual({ TargetArn: getAtt(platform.pipeline.jobEventDeadLetterQueue) });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: idOf(platform.pipeline.jobStateFunction) },
        MaximumRetryAttempts: 2,
      });
    });

    it('is told the webhook queue only when webhooks are configured', () => {
      // Prepare
      const queue = hooks.platform.webhooks?.queue;
      const queueUrl = queue && { Ref: hooks.idOf(queue) };

      // Act
      const withHooks = hooks.resourceOf(hooks.platform.pipeline.jobStateFunction).Properties.Environment.Variables;
      const without = plain.resourceOf(plain.platform.pipeline.jobStateFunction).Properties.Environment.Variables;

      // Assess
      expect(queueUrl).toBeDefined();
      expect(withHooks.WEBHOOK_QUEUE_URL).toEqual(queueUrl);
      expect(without.WEBHOOK_QUEUE_URL).toBeUndefined();
      expect(without).toMatchObject({ CACHE_TLS: 'true', CACHE_TTL_SECONDS: '300' });
    });

    it.each([
      ['with webhooks', true],
      ['without webhooks', false],
    ] as const)('may make exactly the calls it needs, %s', (configuration, webhooks) => {
      // Prepare
      const { platform, statementsOf, nameOf } = configurations()[configuration];
      const { pipeline, storage, catalog } = platform;
      const logs = nameOf(pipeline.jobStateFunction.logGroup);
      const pipelineKey = nameOf(pipeline.encryptionKey);
      const expected = [
        `logs:CreateLogStream on ${logs}`,
        `logs:PutLogEvents on ${logs}`,
        ...IN_VPC_FUNCTION_PERMISSIONS,
        `dynamodb:GetItem on ${nameOf(catalog.table)}`,
        `dynamodb:UpdateItem on ${nameOf(catalog.table)}`,
        `kms:Decrypt on ${nameOf(catalog.encryptionKey)}`,
        `kms:Encrypt on ${nameOf(catalog.encryptionKey)}`,
        `kms:GenerateDataKey on ${nameOf(catalog.encryptionKey)}`,
        `s3:DeleteObject on ${nameOf(storage.mediaBucket)}/v/*`,
        `s3:ListBucket on ${nameOf(storage.mediaBucket)}`,
        // Lambda dead-letters failed events with the function's role, into a queue under the pipeline key.
        `sqs:SendMessage on ${nameOf(pipeline.jobEventDeadLetterQueue)}`,
        `kms:Decrypt on ${pipelineKey}`,
        `kms:GenerateDataKey on ${pipelineKey}`,
      ];
      if (webhooks && platform.webhooks) {
        expected.push(
          `sqs:SendMessage on ${nameOf(platform.webhooks.queue)}`,
          `kms:Decrypt on ${nameOf(platform.webhooks.encryptionKey)}`,
          `kms:GenerateDataKey on ${nameOf(platform.webhooks.encryptionKey)}`,
        );
      }

      // Act
      const statements = statementsOf(pipeline.jobStateFunction.role as IConstruct);

      // Assess
      expect(Boolean(platform.webhooks)).toBe(webhooks);
      expect(permissions(statements)).toEqual(expected.sort());
      expect(statements.filter((s) => s.Action === 's3:ListBucket').map((s) => s.Condition)).toEqual([
        { StringLike: { 's3:prefix': 'v/*' } },
      ]);
    });
  });

  describe('the job-state rule', () => {
    it('matches exactly the final states of jobs in the platform’s own MediaConvert queue', () => {
      // Prepare
      const { platform, resourceOf, getAtt } = hooks;

      // Act
      const rule = resourceOf(platform.pipeline.jobStateRule).Properties;

      // Assess
      expect(rule.EventPattern).toEqual({
        source: ['aws.mediaconvert'],
        'detail-type': ['MediaConvert Job State Change'],
        detail: { status: [...FINAL_JOB_STATES], queue: [getAtt(platform.pipeline.mediaConvertQueue)] },
      });
      expect(rule.State).toBe('ENABLED');
    });

    it('invokes the job-state function, retrying and then dead-lettering what it cannot deliver', () => {
      // Prepare
      const { platform, resourceOf, getAtt } = hooks;

      // Act
      const targets = resourceOf(platform.pipeline.jobStateRule).Properties.Targets;

      // Assess
      expect(targets).toEqual([
        expect.objectContaining({
          Arn: getAtt(platform.pipeline.jobStateFunction),
          DeadLetterConfig: { Arn: getAtt(platform.pipeline.jobEventDeadLetterQueue) },
          RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        }),
      ]);
      expect(targets[0].RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    });

    it('lets only this rule put events into the job-event dead-letter queue', () => {
      // Prepare
      const { platform, ofType, idOf, getAtt } = hooks;
      const queueId = idOf(platform.pipeline.jobEventDeadLetterQueue);

      // Act
      const allows = ofType('AWS::SQS::QueuePolicy')
        .filter(([, p]) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => s.Effect === 'Allow');

      // Assess
      expect(allows).toEqual([
        expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': getAtt(platform.pipeline.jobStateRule) } },
        }),
      ]);
    });
  });

  describe('alarms', () => {
    it.each([
      ['upload dead-letter queue', 'uploadDeadLetterQueue'],
      ['job-event dead-letter queue', 'jobEventDeadLetterQueue'],
    ] as const)(
      'goes off as soon as the %s holds a message, and tells the alarm topic both ways',
      (_what, property) => {
        // Prepare
        const { platform, template, getAtt, idOf } = hooks;
        const topic = { Ref: idOf(platform.alarmTopic) };

        // Act and assess
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: getAtt(platform.pipeline[property], 'QueueName') }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [topic],
          OKActions: [topic],
        });
      },
    );

    it('has one alarm per pipeline dead-letter queue', () => {
      expect(hooks.platform.pipeline.deadLetterAlarms).toHaveLength(2);
    });

    it('notifies an encrypted alarm topic', () => {
      // Prepare
      const { platform, resourceOf } = hooks;

      // Act
      const topic = resourceOf(platform.alarmTopic).Properties;

      // Assess
      expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AlarmKey/), 'Arn'] });
    });
  });

  describe('refuses props it cannot deploy', () => {
    function props(overrides: Partial<TranscodingPipelineProps>): { stack: Stack; props: TranscodingPipelineProps } {
      const stack = new Stack();
      const storage = new MediaStorage(stack, 'Storage');
      return {
        stack,
        props: {
          storage,
          catalog: new VideoCatalog(stack, 'Catalog'),
          cache: new MetadataCache(stack, 'Cache', { flowLogBucket: storage.logBucket }),
          ...overrides,
        },
      };
    }

    it('refuses a maximum submit concurrency below SQS’s minimum of 2, saying what it received', () => {
      // Prepare
      const { stack, props: invalid } = props({ maxSubmitConcurrency: 1 });

      // Act and assess
      expect(() => new TranscodingPipeline(stack, 'Pipeline', invalid)).toThrow(
        /TranscodingPipeline: maxSubmitConcurrency must be a whole number from 2 to 1000.*received 1$/,
      );
    });

    it('refuses a cache TTL of zero, saying what it received', () => {
      // Prepare
      const { stack, props: invalid } = props({ cacheTtlSeconds: 0 });

      // Act and assess
      expect(() => new TranscodingPipeline(stack, 'Pipeline', invalid)).toThrow(
        'TranscodingPipeline: cacheTtlSeconds must be 1 to 86400, received 0',
      );
    });
  });
});
