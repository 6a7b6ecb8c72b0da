import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { PlatformKey } from '../../lib/constructs/platform-key';
import { QueueWithDlq, type QueueWithDlqProps } from '../../lib/constructs/queue-with-dlq';
import type { Resource, Statement } from '../support/template';

function setUp(overrides: Partial<QueueWithDlqProps> = {}) {
  const stack = new Stack();
  const key = new PlatformKey(stack, 'Key', { description: 'Encrypts the test queues' });
  const props: QueueWithDlqProps = {
    encryptionKey: key,
    contents: 'test events',
    visibilityTimeout: Duration.minutes(2),
    retentionPeriod: Duration.days(4),
    maxReceiveCount: 5,
    ...overrides,
  };
  return { stack, key, props };
}

function inspect(stack: Stack) {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const idOf = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as never);
  return { resources, idOf, resourceOf: (construct: IConstruct) => resources[idOf(construct)] as Resource };
}

describe('QueueWithDlq', () => {
  it('encrypts the queue and its dead-letter queue with the given key, one data key an hour', () => {
    // Prepare
    const { stack, key, props } = setUp();

    // Act
    const queue = new QueueWithDlq(stack, 'UploadQueue', props);

    // Assess
    const { resourceOf, idOf } = inspect(stack);
    for (const made of [queue, queue.deadLetters]) {
      expect(resourceOf(made).Properties).toMatchObject({
        KmsMasterKeyId: { 'Fn::GetAtt': [idOf(key), 'Arn'] },
        KmsDataKeyReusePeriodSeconds: 3600,
      });
    }
  });

  it('denies every request made without TLS, to the queue and to its dead-letter queue', () => {
    // Prepare
    const { stack, props } = setUp();

    // Act
    const queue = new QueueWithDlq(stack, 'UploadQueue', props);

    // Assess
    const { resources, idOf } = inspect(stack);
    for (const made of [queue, queue.deadLetters]) {
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::SQS::QueuePolicy')
        .filter((r) => JSON.stringify(r.Properties.Queues) === JSON.stringify([{ Ref: idOf(made) }]))
        .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
      expect(statements).toContainEqual({
        Effect: 'Deny',
        Action: 'sqs:*',
        Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [idOf(made), 'Arn'] },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    }
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives, and keeps dead letters 14 days', () => {
    // Prepare
    const { stack, props } = setUp({ maxReceiveCount: 7 });

    // Act
    const queue = new QueueWithDlq(stack, 'UploadQueue', props);

    // Assess
    const { resourceOf, idOf } = inspect(stack);
    expect(resourceOf(queue).Properties).toMatchObject({
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(queue.deadLetters), 'Arn'] }, maxReceiveCount: 7 },
      VisibilityTimeout: 120,
      MessageRetentionPeriod: 4 * 86_400,
    });
    expect(resourceOf(queue.deadLetters).Properties.MessageRetentionPeriod).toBe(14 * 86_400);
  });

  it('puts the dead-letter queue and its alarm beside the queue, under ids made from its own', () => {
    // Prepare
    const { stack, props } = setUp();

    // Act
    const queue = new QueueWithDlq(stack, 'UploadQueue', props);

    // Assess
    expect(queue.deadLetters.node.path).toBe('Default/UploadDeadLetterQueue');
    expect(queue.deadLetters.alarm.node.path).toBe('Default/UploadDeadLetterAlarm');
  });

  it('alarms as soon as a dead letter arrives, telling the topic, with the runbook’s steps in the description', () => {
    // Prepare
    const { stack, props } = setUp();
    const topic = new sns.Topic(stack, 'Topic');

    // Act
    const queue = new QueueWithDlq(stack, 'UploadQueue', { ...props, alarmTopic: topic });

    // Assess
    const { resourceOf, idOf } = inspect(stack);
    const alarm = resourceOf(queue.deadLetters.alarm).Properties;
    expect(alarm).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(queue.deadLetters), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: idOf(topic) }],
      OKActions: [{ Ref: idOf(topic) }],
    });
    expect(alarm.AlarmDescription).toMatch(/^Undeliverable test events are waiting in a dead-letter queue/);
    expect(alarm.AlarmDescription).toContain(
      'What to do (docs/runbook.md, "Dead-letter queues"):\n- Fix the cause first',
    );
  });

  it.each([
    [
      'no receive at all',
      { maxReceiveCount: 0 },
      'QueueWithDlq Q: maxReceiveCount must be a whole number from 1 to 1000, received 0',
    ],
    [
      'a visibility timeout beyond 12 hours',
      { visibilityTimeout: Duration.hours(13) },
      'QueueWithDlq Q: visibilityTimeout must be from 0 s to 43200 s, received 46800 s',
    ],
    [
      'dead letters kept no longer than messages',
      { deadLetterRetentionPeriod: Duration.days(4) },
      'QueueWithDlq Q: deadLetterRetentionPeriod (345600 s) must exceed retentionPeriod (345600 s), or dead letters expire on arrival',
    ],
    [
      'blank contents',
      { contents: ' ' },
      'DeadLetterQueue QDeadLetterQueue: contents must say what the queue holds, received " "',
    ],
  ] as const)('refuses %s, saying what it received', (_what, overrides, message) => {
    // Prepare
    const { stack, props } = setUp(overrides);

    // Act and assess
    expect(() => new QueueWithDlq(stack, 'Q', props)).toThrow(message);
  });
});
