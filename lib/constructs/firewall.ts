import { ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { RATE_LIMITED_BODY } from '../../lambda/core/errors';
import { DEFAULT_CONFIG, RATE_WINDOWS_SECONDS, settingRange } from '../config';
import { stackUuid } from './encrypted-log-group';
import { allowCloudWatchLogs, PlatformKey } from './platform-key';

/** A tighter rate limit for one method and path, on top of the per-IP limit. */
export interface ScopedRateLimit {
  /** Rule name, also the CloudWatch metric name. Letters, digits, dashes. */
  readonly name: string;
  /** HTTP method the limit applies to, e.g. `POST`. */
  readonly method: string;
  /**
   * The request path ends with this (API Gateway paths start with the stage, e.g. `/prod/videos`).
   * Matched case-insensitively after URL decoding.
   */
  readonly pathSuffix: string;
  /** Requests per window per IP. */
  readonly limit: number;
}

export interface FirewallProps {
  /** `CLOUDFRONT` for the CDN (the stack must be in us-east-1) or `REGIONAL` for the API. */
  readonly scope: 'CLOUDFRONT' | 'REGIONAL';
  /** Requests one IP may make per window before WAF answers 429. */
  readonly rateLimit: number;
  /**
   * Window over which rate limits are counted, in seconds: 60, 120, 300 or 600.
   * @default - the `vod` setting's default, `rateWindowSeconds` (see docs/configuration.md)
   */
  readonly rateWindowSeconds?: number;
  /**
   * Tighter limits for particular routes, such as upload creation.
   * @default - none
   */
  readonly scopedRateLimits?: readonly ScopedRateLimit[];
  /**
   * Rules of the managed rule groups that should only count matches instead of blocking, by
   * group name; for rules that would block legitimate traffic of this application.
   * @default - every managed rule blocks
   */
  readonly countOnlyManagedRules?: Readonly<Partial<Record<ManagedRuleGroupName, readonly string[]>>>;
  /**
   * Leave request paths out of the WAF logs, for paths that carry credentials (playback tokens).
   * @default false
   */
  readonly redactPaths?: boolean;
  /**
   * How long WAF logs are kept.
   * @default - the `vod` setting's default, `logRetentionDays` (see docs/configuration.md)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group and its key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The AWS managed rule groups every web ACL runs, cheapest first. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;
export type ManagedRuleGroupName = (typeof MANAGED_RULE_GROUPS)[number];

const RULE_NAME = /^[A-Za-z0-9-]{1,64}$/;
const WINDOWS: readonly number[] = RATE_WINDOWS_SECONDS;
// Every rate limit setting has WAF's range.
const RATE = settingRange('apiRateLimit');

function checkRate(what: string, limit: number): void {
  if (!Number.isInteger(limit) || limit < RATE.min || limit > RATE.max) {
    throw new Error(`Firewall: ${what} must be an integer from ${RATE.min} to ${RATE.max}, received ${limit}`);
  }
}

/**
 * A WAF web ACL with per-IP rate limits that answer 429 in the API's error shape, optional
 * tighter per-route limits, the AWS managed rule groups that fit a media CDN and a JSON API, and
 * logging to an encrypted CloudWatch log group (with the Authorization header redacted).
 */
export class Firewall extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly logGroup: logs.LogGroup;
  public readonly logKey: PlatformKey;
  /** The web ACL's ARN, for CloudFront's `webAclId` or a regional association. */
  public readonly webAclArn: string;
  /** The web ACL's CloudWatch metric name: the `WebACL` dimension of its `AWS/WAFV2` metrics. */
  public readonly webAclMetricName: string;

  constructor(scope: Construct, id: string, props: FirewallProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const window = props.rateWindowSeconds ?? DEFAULT_CONFIG.rateWindowSeconds;
    if (!WINDOWS.includes(window)) {
      throw new Error(`Firewall: rateWindowSeconds must be one of ${WINDOWS.join(', ')}, received ${window}`);
    }
    checkRate('rateLimit', props.rateLimit);
    const scoped = props.scopedRateLimits ?? [];
    for (const rule of scoped) {
      if (!RULE_NAME.test(rule.name)) {
        throw new Error(
          `Firewall: scoped rate limit name must match ${RULE_NAME}, received ${JSON.stringify(rule.name)}`,
        );
      }
      checkRate(`scoped rate limit ${rule.name}`, rule.limit);
      if (rule.limit > props.rateLimit) {
        throw new Error(
          `Firewall: scoped rate limit ${rule.name} (${rule.limit}) must not exceed rateLimit (${props.rateLimit})`,
        );
      }
    }
    if (props.scope === 'CLOUDFRONT' && !Token.isUnresolved(stack.region) && stack.region !== 'us-east-1') {
      throw new Error(
        `Firewall: a CLOUDFRONT web ACL must be created in us-east-1, received a stack in ${stack.region}`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const prefix = `${stack.stackName}-${id}`.replace(/[^A-Za-z0-9-]/g, '-');

    const rateLimited: wafv2.CfnWebACL.RuleActionProperty = {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: 'rate-limited',
          // WAF prefixes custom header names, so clients see x-amzn-waf-retry-after.
          responseHeaders: [{ name: 'retry-after', value: String(window) }],
        },
      },
    };
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const pathEndsWith = (suffix: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'ENDS_WITH',
        searchString: suffix.toLowerCase(),
        textTransformations: [
          { priority: 0, type: 'URL_DECODE' },
          { priority: 1, type: 'LOWERCASE' },
        ],
      },
    });
    const methodIs = (method: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { method: {} },
        positionalConstraint: 'EXACTLY',
        searchString: method.toUpperCase(),
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });

    const rules: wafv2.CfnWebACL.RuleProperty[] = [];
    const [ipReputation, ...otherManaged] = MANAGED_RULE_GROUPS;
    const managed = (name: ManagedRuleGroupName): wafv2.CfnWebACL.RuleProperty => {
      const counted = props.countOnlyManagedRules?.[name] ?? [];
      return {
        name,
        priority: rules.length,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name,
            ...(counted.length > 0
              ? { ruleActionOverrides: counted.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
              : {}),
          },
        },
        visibilityConfig: visibility(name),
      };
    };
    rules.push(managed(ipReputation));
    for (const rule of scoped) {
      rules.push({
        name: rule.name,
        priority: rules.length,
        action: rateLimited,
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            evaluationWindowSec: window,
            limit: rule.limit,
            scopeDownStatement: {
              andStatement: { statements: [methodIs(rule.method), pathEndsWith(rule.pathSuffix)] },
            },
          },
        },
        visibilityConfig: visibility(rule.name),
      });
    }
    rules.push({
      name: 'RateLimitPerIp',
      priority: rules.length,
      action: rateLimited,
      statement: {
        rateBasedStatement: { aggregateKeyType: 'IP', evaluationWindowSec: window, limit: props.rateLimit },
      },
      visibilityConfig: visibility('RateLimitPerIp'),
    });
    for (const name of otherManaged) rules.push(managed(name));

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: props.scope,
      defaultAction: { allow: {} },
      description: `${props.scope === 'CLOUDFRONT' ? 'CDN' : 'API'}: per-IP rate limits and AWS managed rules`,
      customResponseBodies: { 'rate-limited': { contentType: 'APPLICATION_JSON', content: RATE_LIMITED_BODY } },
      rules,
      visibilityConfig: visibility(`${prefix}-acl`),
    });
    this.webAclMetricName = `${prefix}-acl`;
    this.webAclArn = this.webAcl.attrArn;

    this.logKey = new PlatformKey(this, 'LogKey', { description: `Encrypts the WAF logs of ${prefix}`, removalPolicy });
    allowCloudWatchLogs(this.logKey, 'aws-waf-logs-*');
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // WAF only logs to groups whose names start with aws-waf-logs-; after it, the platform's
      // rule (EncryptedLogGroup): the stack id's UUID, never reused after a `cdk destroy` that
      // keeps the old group.
      logGroupName: `aws-waf-logs-${prefix}-${stackUuid(this)}`,
      retention: props.logRetention ?? (DEFAULT_CONFIG.logRetentionDays as logs.RetentionDays),
      encryptionKey: this.logKey,
      removalPolicy,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the trailing :* that CloudFormation returns.
      logDestinationConfigs: [
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'cookie' } },
        ...(props.redactPaths ? [{ uriPath: {} }] : []),
      ],
    });
    logging.node.addDependency(this.logGroup);
  }
}
