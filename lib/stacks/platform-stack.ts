import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { Delivery } from '../constructs/delivery';
import { Firewall } from '../constructs/firewall';
import { MediaStorage } from '../constructs/media-storage';

export interface PlatformStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** ARN of the CLOUDFRONT web ACL from the edge stack (a cross-region reference). */
  readonly cdnWebAclArn: string;
}

/** The platform in the configured region: storage, the CDN and the API's firewall. */
export class PlatformStack extends Stack {
  public readonly storage: MediaStorage;
  public readonly delivery: Delivery;
  /** The REGIONAL web ACL that the API stage is associated with. */
  public readonly apiFirewall: Firewall;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.storage = new MediaStorage(this, 'Storage', {
      allowedOrigins: config.allowedOrigins,
      abortIncompleteUploadAfterDays: config.abortIncompleteUploadAfterDays,
      accessLogExpirationDays: config.accessLogExpirationDays,
    });

    this.delivery = new Delivery(this, 'Delivery', {
      mediaBucket: this.storage.mediaBucket,
      logBucket: this.storage.logBucket,
      webAclArn: props.cdnWebAclArn,
      allowedOrigins: config.allowedOrigins,
      priceClass: config.priceClass as cloudfront.PriceClass,
      manifestTtl: Duration.seconds(config.manifestTtlSeconds),
      mediaTtl: Duration.seconds(config.mediaTtlSeconds),
      originShieldRegion: config.originShieldRegion,
      domainNames: config.domainNames,
      certificate: config.certificateArn
        ? acm.Certificate.fromCertificateArn(this, 'CdnCertificate', config.certificateArn)
        : undefined,
    });

    this.apiFirewall = new Firewall(this, 'ApiFirewall', {
      scope: 'REGIONAL',
      rateLimit: config.apiRateLimit,
      rateWindowSeconds: config.rateWindowSeconds,
      scopedRateLimits: [
        { name: 'UploadCreationPerIp', method: 'POST', pathSuffix: '/videos', limit: config.uploadCreationRateLimit },
      ],
      // Completing a multipart upload posts every part's ETag (up to 10,000 parts, about 600 KB),
      // beyond this rule's 8 KB limit; the API checks body sizes itself.
      countOnlyManagedRules: { AWSManagedRulesCommonRuleSet: ['SizeRestrictions_BODY'] },
      logRetention: config.logRetentionDays,
    });

    new CfnOutput(this, 'CdnDomainName', { value: this.delivery.distribution.distributionDomainName });
    new CfnOutput(this, 'UploadBucketName', { value: this.storage.uploadBucket.bucketName });
    new CfnOutput(this, 'MediaBucketName', { value: this.storage.mediaBucket.bucketName });
    new CfnOutput(this, 'SigningKeyStoreArn', { value: this.delivery.signingKeys.keyValueStoreArn });
  }
}
