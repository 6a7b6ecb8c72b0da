import { type App, type CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ScopedCfnGuardValidator, type ScopedCfnGuardValidatorProps } from './scoped-cfn-guard';

/**
 * Compliance checks that run on every synth: cdk-nag's AwsSolutions pack and cfn-guard with the
 * Control Tower proactive rules (each template against the rules for its resource types). A
 * finding fails the synth unless acknowledged on the resource with
 * `Validations.of(resource).acknowledge({ id, reason })` and a reason specific to it.
 */
export function addComplianceChecks(app: App, guard: ScopedCfnGuardValidatorProps = {}): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ScopedCfnGuardValidator(guard));
}

/** Acknowledgement ids of the cdk-nag AwsSolutions rules we acknowledge somewhere. */
export const NagRule = {
  s3ServerAccessLogs: 'AwsSolutions::AwsSolutions-S1',
  cloudFrontGeoRestriction: 'AwsSolutions::AwsSolutions-CFR1',
  cloudFrontTlsWithDefaultCertificate: 'AwsSolutions::AwsSolutions-CFR4',
  secretsManagerRotation: 'AwsSolutions::AwsSolutions-SMG4',
  apiGatewayAuthorization: 'AwsSolutions::AwsSolutions-APIG4',
  apiGatewayCognitoAuthorizer: 'AwsSolutions::AwsSolutions-COG4',
  iamWildcardResource: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  cognitoMfaRequired: 'AwsSolutions::AwsSolutions-COG2',
  cognitoPlusFeaturePlan: 'AwsSolutions::AwsSolutions-COG8',
  sqsDeadLetterQueue: 'AwsSolutions::AwsSolutions-SQS3',
  lambdaBasicExecutionManagedPolicy:
    'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
  lambdaLatestRuntime: 'AwsSolutions::AwsSolutions-L1',
} as const;

/**
 * The id of cdk-nag's finding for a policy that names the objects under one prefix of a bucket
 * of this app (`<bucket ARN>/<prefix>*`), so it can be acknowledged for that prefix alone.
 */
export function nagObjectPrefixWildcard(bucket: s3.IBucket, prefix: string): string {
  const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
  return `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`;
}

/**
 * The id of cdk-nag's finding for a policy naming `arn:<partition>:<service>:<region>:<account>:<resource>`
 * in this stack, as cdk-nag writes it: pseudo parameters the stack does not know appear as `<AWS::Name>`.
 */
export function nagWildcardArn(stack: Stack, service: string, resource: string): string {
  const literal = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  const arn = [
    'arn',
    literal(stack.partition, 'Partition'),
    service,
    literal(stack.region, 'Region'),
    literal(stack.account, 'AccountId'),
    resource,
  ].join(':');
  return `AwsSolutions::AwsSolutions-IAM5[Resource::${arn}]`;
}

/** Acknowledgement ids of the Control Tower rules we acknowledge somewhere, by what they ask. */
export const GuardRule = {
  s3ServerAccessLogging: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
  s3EventNotifications: 'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
  s3ObjectLock: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
  s3KmsEncryption: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
  cloudFrontDefaultRootObject: 'cdk-validator-cfnguard::cloudfront_default_root_object_configured_check',
  cloudFrontOriginFailover: 'cdk-validator-cfnguard::cloudfront_origin_failover_enabled_check',
  cloudFrontCustomCertificate: 'cdk-validator-cfnguard::cloudfront_custom_ssl_certificate_check',
  cloudFrontSni: 'cdk-validator-cfnguard::cloudfront_sni_enabled_check',
  cloudFrontTlsPolicy: 'cdk-validator-cfnguard::cloudfront_security_policy_check',
  lambdaPublicAccess: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
  lambdaInsideVpc: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
  sqsDeadLetterQueue: 'cdk-validator-cfnguard::sqs_dlq_check',
  alarmAction: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
} as const;
