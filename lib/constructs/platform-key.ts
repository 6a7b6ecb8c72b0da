import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

export interface PlatformKeyProps {
  /** What the key encrypts, shown in the KMS console. */
  readonly description: string;
  /**
   * What happens to the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A customer managed key as every construct of the platform makes one: yearly rotation, and
 * `kms:CreateGrant` denied unless the grant is for an AWS service acting on the caller's behalf
 * (S3, CloudWatch Logs), so nobody can hand the key on to an arbitrary principal.
 */
export class PlatformKey extends kms.Key {
  constructor(scope: Construct, id: string, props: PlatformKeyProps) {
    if (props.description.trim() === '') {
      throw new Error(
        `PlatformKey ${id}: description must say what the key encrypts, received ${JSON.stringify(props.description)}`,
      );
    }
    super(scope, id, {
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsExceptForAwsServices',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
  }

  /**
   * Lets AWS services deliver encrypted messages under the key (S3 notifications, EventBridge
   * dead letters, CloudWatch alarms to SNS), on behalf of this account only.
   */
  public allowServicesToSend(sid: string, services: readonly string[]): void {
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: services.map((service) => new iam.ServicePrincipal(service)),
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }
}

/**
 * Lets CloudWatch Logs in the key's region encrypt and decrypt with the key, for log groups of
 * this account whose names match the pattern only (the encryption context names the group).
 * Asking twice for the same pattern adds one statement: the key policy drops duplicates.
 */
export function allowCloudWatchLogs(key: kms.Key, logGroupNamePattern: string): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: logGroupNamePattern,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}
