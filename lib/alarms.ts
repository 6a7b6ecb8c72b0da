import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { GuardRule, NagRule } from './checks';

export interface DeadLetterAlarmOptions {
  readonly queue: sqs.IQueue;
  /** What the queue holds, for the alarm's description. */
  readonly what: string;
  /** Told when the alarm goes off and when it clears. */
  readonly topic?: sns.ITopic;
}

/** An alarm that goes off as soon as a dead-letter queue holds a message. */
export function deadLetterAlarm(scope: Construct, id: string, options: DeadLetterAlarmOptions): cloudwatch.Alarm {
  const alarm = options.queue
    .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
    .createAlarm(scope, id, {
      alarmDescription: `Undeliverable ${options.what} are waiting in a dead-letter queue: inspect them, fix the cause, redrive.`,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  if (options.topic) {
    const action = new actions.SnsAction(options.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  } else {
    Validations.of(alarm).acknowledge({
      id: GuardRule.alarmAction,
      reason: 'No alarm topic was given to this construct; the alarm still shows in CloudWatch.',
    });
  }
  return alarm;
}

/** A dead-letter queue needs no dead-letter queue of its own. */
export function acknowledgeDeadLetterQueue(queue: sqs.Queue, of: string): void {
  const reason = `This is the dead-letter queue of ${of}; it has an alarm and an operator redrives it.`;
  Validations.of(queue).acknowledge(
    { id: NagRule.sqsDeadLetterQueue, reason },
    { id: GuardRule.sqsDeadLetterQueue, reason },
  );
}
