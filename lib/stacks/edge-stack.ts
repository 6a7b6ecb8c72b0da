import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { Firewall } from '../constructs/firewall';

export interface EdgeStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/** What AWS requires in us-east-1: the CLOUDFRONT-scope web ACL in front of the CDN. */
export class EdgeStack extends Stack {
  public readonly cdnFirewall: Firewall;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    this.cdnFirewall = new Firewall(this, 'CdnFirewall', {
      scope: 'CLOUDFRONT',
      rateLimit: props.config.cdnRateLimit,
      rateWindowSeconds: props.config.rateWindowSeconds,
      // Playback tokens travel in the path; logs must not become a store of them.
      redactPaths: true,
      logRetention: props.config.logRetentionDays,
    });
  }
}
