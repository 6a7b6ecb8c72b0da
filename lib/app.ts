import { App, type AppProps } from 'aws-cdk-lib';
import { addComplianceChecks } from './checks';
import { configFromContext, type PlatformConfig } from './config';
import type { ScopedCfnGuardValidatorProps } from './scoped-cfn-guard';
import { EdgeStack } from './stacks/edge-stack';
import { PlatformStack } from './stacks/platform-stack';

/** The region AWS requires for CLOUDFRONT-scope web ACLs (and CloudFront certificates). */
export const EDGE_REGION = 'us-east-1';

export interface VodApp {
  readonly app: App;
  readonly config: PlatformConfig;
  readonly edge: EdgeStack;
  readonly platform: PlatformStack;
}

/**
 * Builds the whole app: the edge stack in us-east-1 and the platform stack in the configured
 * region, with cdk-nag (AwsSolutions) and cfn-guard (Control Tower rules) checking every synth.
 * The CLI entry point and the tests both build the app here, so tests check what deploys.
 */
export function createVodApp(props: AppProps = {}, guard: ScopedCfnGuardValidatorProps = {}): VodApp {
  const app = new App(props);
  addComplianceChecks(app, guard);
  const config = configFromContext(app.node);

  const edge = new EdgeStack(app, `${config.stackPrefix}Edge`, {
    env: { account: config.account, region: EDGE_REGION },
    description: 'Video on demand: the CDN web ACL (us-east-1)',
    crossRegionReferences: true,
    config,
  });
  const platform = new PlatformStack(app, `${config.stackPrefix}Platform`, {
    env: { account: config.account, region: config.region },
    description: 'Video on demand: storage, CDN with playback tokens, catalog, metadata cache, upload and metadata API',
    crossRegionReferences: true,
    config,
    cdnWebAclArn: edge.cdnFirewall.webAclArn,
    cdnWebAclMetricName: edge.cdnFirewall.webAclMetricName,
  });
  platform.addStackDependency(edge, 'The distribution references the CDN web ACL');
  return { app, config, edge, platform };
}
