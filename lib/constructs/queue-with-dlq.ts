import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { GuardRule, NagRule } from '../checks';
import { alarmDescription, RUNBOOK_SECTIONS } from '../runbook';

/** SQS's limits on retention (1 minute to 14 days) and visibility timeouts (up to 12 hours). */
const MAX_RETENTION_SECONDS = 14 * 86_400;
const MAX_VISIBILITY_SECONDS = 12 * 3600;

/**
 * How every queue of the platform is encrypted: SSE-KMS under the owner's key, one data key per
 * hour (fewer KMS calls), and any request without TLS denied by the queue policy.
 */
function encryptedQueueProps(key: kms.IKey) {
  return {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    dataKeyReuse: Duration.hours(1),
    enforceSSL: true,
  } satisfies sqs.QueueProps;
}

/** `UploadQueue` → `UploadAlarm`: a companion's id, beside the queue, from the queue's own. */
const companionId = (queueId: string, suffix: string) => `${queueId.replace(/Queue$/, '')}${suffix}`;

function checkSeconds(owner: string, what: string, value: Duration, min: number, max: number): void {
  if (value.isUnresolved()) return;
  const seconds = value.toSeconds();
  if (seconds < min || seconds > max) {
    throw new Error(`${owner}: ${what} must be from ${min} s to ${max} s, received ${seconds} s`);
  }
}

export interface DeadLetterQueueProps {
  /** Encrypts the queue. */
  readonly encryptionKey: kms.IKey;
  /** What the queue holds, in the plural (`upload notifications`): named by its alarm and its acknowledgements. */
  readonly contents: string;
  /**
   * How long a dead letter is kept, to look at and redrive.
   * @default Duration.days(14), SQS's most
   */
  readonly retentionPeriod?: Duration;
  /**
   * Told when the alarm goes off and when it clears.
   * @default - no action (the alarm still shows in CloudWatch)
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * An encrypted, TLS-only dead-letter queue with an alarm that goes off as soon as it holds a
 * message; the alarm's description carries the runbook's steps. Its alarm sits beside it,
 * `UploadDeadLetterQueue` → `UploadDeadLetterAlarm`, the id it had before this recipe.
 */
export class DeadLetterQueue extends sqs.Queue {
  /** In alarm while the queue holds a message. */
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    const retentionPeriod = props.retentionPeriod ?? Duration.days(14);
    checkSeconds(`DeadLetterQueue ${id}`, 'retentionPeriod', retentionPeriod, 60, MAX_RETENTION_SECONDS);
    if (props.contents.trim() === '') {
      throw new Error(
        `DeadLetterQueue ${id}: contents must say what the queue holds, received ${JSON.stringify(props.contents)}`,
      );
    }
    super(scope, id, { ...encryptedQueueProps(props.encryptionKey), retentionPeriod });
    const reason = `This is the dead-letter queue of ${props.contents}; it has an alarm and an operator redrives it.`;
    Validations.of(this).acknowledge(
      { id: NagRule.sqsDeadLetterQueue, reason },
      { id: GuardRule.sqsDeadLetterQueue, reason },
    );
    this.alarm = this.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    }).createAlarm(scope, companionId(id, 'Alarm'), {
      alarmDescription: alarmDescription({
        summary: `Undeliverable ${props.contents} are waiting in a dead-letter queue: inspect them, fix the cause, redrive.`,
        section: RUNBOOK_SECTIONS.deadLetters,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      this.alarm.addAlarmAction(action);
      this.alarm.addOkAction(action);
    } else {
      Validations.of(this.alarm).acknowledge({
        id: GuardRule.alarmAction,
        reason: 'No alarm topic was given to this construct; the alarm still shows in CloudWatch.',
      });
    }
  }
}

export interface QueueWithDlqProps {
  /** Encrypts the queue and its dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** What the queue holds, in the plural (`webhook events`). */
  readonly contents: string;
  /** How long a received message stays hidden from other consumers: longer than one consumer may take. */
  readonly visibilityTimeout: Duration;
  /** How long an unconsumed message is kept. */
  readonly retentionPeriod: Duration;
  /** Receives after which a message moves to the dead-letter queue, 1 to 1000. */
  readonly maxReceiveCount: number;
  /**
   * How long a dead letter is kept: longer than `retentionPeriod`, since a moved message keeps
   * its first enqueue time.
   * @default Duration.days(14), SQS's most
   */
  readonly deadLetterRetentionPeriod?: Duration;
  /**
   * Told when the dead-letter alarm goes off and when it clears.
   * @default - no action
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * An encrypted, TLS-only queue whose messages move after `maxReceiveCount` receives to their own
 * `DeadLetterQueue` (alarmed). The dead-letter queue sits beside it, `UploadQueue` →
 * `UploadDeadLetterQueue`, the id it had before this recipe, so a deployed one keeps its messages.
 */
export class QueueWithDlq extends sqs.Queue {
  /** Where messages go after `maxReceiveCount` receives. */
  public readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    const owner = `QueueWithDlq ${id}`;
    const deadLetterRetention = props.deadLetterRetentionPeriod ?? Duration.days(14);
    checkSeconds(owner, 'visibilityTimeout', props.visibilityTimeout, 0, MAX_VISIBILITY_SECONDS);
    checkSeconds(owner, 'retentionPeriod', props.retentionPeriod, 60, MAX_RETENTION_SECONDS);
    if (!Number.isInteger(props.maxReceiveCount) || props.maxReceiveCount < 1 || props.maxReceiveCount > 1000) {
      throw new Error(
        `${owner}: maxReceiveCount must be a whole number from 1 to 1000, received ${props.maxReceiveCount}`,
      );
    }
    if (deadLetterRetention.toSeconds() <= props.retentionPeriod.toSeconds()) {
      throw new Error(
        `${owner}: deadLetterRetentionPeriod (${deadLetterRetention.toSeconds()} s) must exceed retentionPeriod (${props.retentionPeriod.toSeconds()} s), or dead letters expire on arrival`,
      );
    }
    const deadLetters = new DeadLetterQueue(scope, companionId(id, 'DeadLetterQueue'), {
      encryptionKey: props.encryptionKey,
      contents: props.contents,
      retentionPeriod: deadLetterRetention,
      alarmTopic: props.alarmTopic,
    });
    super(scope, id, {
      ...encryptedQueueProps(props.encryptionKey),
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: props.maxReceiveCount },
    });
    this.deadLetters = deadLetters;
  }
}
