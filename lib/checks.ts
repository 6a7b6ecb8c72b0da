import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { type App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Compliance checks that run on every synth: cdk-nag's AwsSolutions pack and cfn-guard with the
 * Control Tower proactive rules. A finding fails the synth unless acknowledged on the resource
 * with `Validations.of(resource).acknowledge({ id, reason })` and a reason specific to it.
 */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new CfnGuardValidator());
}

/** Acknowledgement ids of the cdk-nag AwsSolutions rules we acknowledge somewhere. */
export const NagRule = {
  s3ServerAccessLogs: 'AwsSolutions::AwsSolutions-S1',
  cloudFrontGeoRestriction: 'AwsSolutions::AwsSolutions-CFR1',
  cloudFrontTlsWithDefaultCertificate: 'AwsSolutions::AwsSolutions-CFR4',
} as const;

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
} as const;

/**
 * Denies `kms:CreateGrant` unless the grant is for an AWS service acting on the caller's behalf
 * (S3, CloudWatch Logs), so nobody can hand the key on to an arbitrary principal.
 */
export function restrictGrantsToAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(
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
