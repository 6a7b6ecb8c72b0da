import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * The upload queue as the bucket's notification target. Unlike CDK's `SqsDestination`, it adds no
 * key-policy statement of its own: that one lets S3 use the key for any account, while the
 * pipeline's key already lets S3 in for this account only. The queue takes messages from this
 * bucket alone.
 */
export class UploadQueueDestination implements s3.IBucketNotificationDestination {
  constructor(private readonly queue: sqs.Queue) {}

  bind(_scope: Construct, bucket: s3.IBucket): s3.BucketNotificationDestinationConfig {
    const { statementAdded, policyDependable } = this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [this.queue.queueArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account },
        },
      }),
    );
    if (!statementAdded || !policyDependable) throw new Error('TranscodingPipeline: the upload queue has no policy');
    // S3 checks that it may send to the queue when the notification is set: the policy comes first.
    return {
      arn: this.queue.queueArn,
      type: s3.BucketNotificationDestinationType.QUEUE,
      dependencies: [policyDependable],
    };
  }
}
