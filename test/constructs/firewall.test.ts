import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { RATE_LIMITED_BODY } from '../../lambda/core/errors';
import { Firewall, MANAGED_RULE_GROUPS } from '../../lib/constructs/firewall';
import { synthesize, synthesizeDefault } from '../support/synth';

type Rule = {
  Name: string;
  Priority: number;
  Action?: any;
  OverrideAction?: any;
  Statement: any;
  VisibilityConfig: any;
};

describe('Firewall', () => {
  const { edgeTemplate, platformTemplate } = synthesizeDefault();
  const webAcl = (template: typeof edgeTemplate) => {
    const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL')) as { Properties: any }[];
    return acl?.Properties;
  };
  const cdnAcl = webAcl(edgeTemplate);
  const apiAcl = webAcl(platformTemplate);
  const rule = (acl: { Rules: Rule[] }, name: string) => acl.Rules.find((candidate) => candidate.Name === name);

  it('puts a CLOUDFRONT web ACL in the edge stack and a REGIONAL one in the platform stack', () => {
    expect(cdnAcl.Scope).toBe('CLOUDFRONT');
    expect(apiAcl.Scope).toBe('REGIONAL');
    edgeTemplate.resourceCountIs('AWS::WAFv2::WebACL', 1);
    platformTemplate.resourceCountIs('AWS::WAFv2::WebACL', 1);
  });

  it('limits each IP to 3000 CDN requests and 1000 API requests per five minutes', () => {
    expect(rule(cdnAcl, 'RateLimitPerIp')?.Statement.RateBasedStatement).toEqual({
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 300,
      Limit: 3000,
    });
    expect(rule(apiAcl, 'RateLimitPerIp')?.Statement.RateBasedStatement).toEqual({
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 300,
      Limit: 1000,
    });
  });

  it('limits upload creation (POST …/videos) more tightly, on the API only', () => {
    const upload = rule(apiAcl, 'UploadCreationPerIp');

    expect(upload?.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'IP', Limit: 30 });
    const [method, path] = upload?.Statement.RateBasedStatement.ScopeDownStatement.AndStatement.Statements ?? [];
    expect(method.ByteMatchStatement).toMatchObject({
      FieldToMatch: { Method: {} },
      PositionalConstraint: 'EXACTLY',
      SearchString: 'POST',
    });
    expect(path.ByteMatchStatement).toMatchObject({
      FieldToMatch: { UriPath: {} },
      PositionalConstraint: 'ENDS_WITH',
      SearchString: '/videos',
    });
    // It must be evaluated before the looser per-IP rule.
    expect(upload?.Priority).toBeLessThan(rule(apiAcl, 'RateLimitPerIp')?.Priority ?? -1);
    expect(rule(cdnAcl, 'UploadCreationPerIp')).toBeUndefined();
  });

  it('answers rate-limited requests 429 with a JSON body in the API error shape', () => {
    for (const acl of [cdnAcl, apiAcl]) {
      expect(acl.CustomResponseBodies['rate-limited']).toEqual({
        ContentType: 'APPLICATION_JSON',
        Content: RATE_LIMITED_BODY,
      });
      for (const rateRule of acl.Rules.filter((r: Rule) => r.Statement.RateBasedStatement)) {
        expect(rateRule.Action.Block.CustomResponse).toEqual({
          ResponseCode: 429,
          CustomResponseBodyKey: 'rate-limited',
          ResponseHeaders: [{ Name: 'retry-after', Value: '300' }],
        });
      }
    }
    expect(JSON.parse(RATE_LIMITED_BODY)).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
  });

  it('runs the IP reputation, common and known-bad-inputs managed rule groups', () => {
    for (const acl of [cdnAcl, apiAcl]) {
      const managed = acl.Rules.filter((r: Rule) => r.Statement.ManagedRuleGroupStatement).map((r: Rule) => ({
        name: r.Statement.ManagedRuleGroupStatement.Name,
        vendor: r.Statement.ManagedRuleGroupStatement.VendorName,
        override: r.OverrideAction,
      }));
      expect(managed).toEqual(MANAGED_RULE_GROUPS.map((name) => ({ name, vendor: 'AWS', override: { None: {} } })));
    }
  });

  it('lets large upload completions through the API by only counting the 8 KB body-size rule', () => {
    const common = rule(apiAcl, 'AWSManagedRulesCommonRuleSet')?.Statement.ManagedRuleGroupStatement;

    expect(common.RuleActionOverrides).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    expect(
      rule(cdnAcl, 'AWSManagedRulesCommonRuleSet')?.Statement.ManagedRuleGroupStatement.RuleActionOverrides,
    ).toBeUndefined();
  });

  it('gives every rule a distinct priority and CloudWatch metrics', () => {
    for (const acl of [cdnAcl, apiAcl]) {
      const priorities = acl.Rules.map((r: Rule) => r.Priority);
      expect(new Set(priorities).size).toBe(priorities.length);
      for (const r of acl.Rules)
        expect(r.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, MetricName: r.Name });
      expect(acl.DefaultAction).toEqual({ Allow: {} });
    }
  });

  it('logs to an encrypted aws-waf-logs- log group kept a year, named per stack instance', () => {
    for (const template of [edgeTemplate, platformTemplate]) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: {
          'Fn::Join': [
            '',
            [Match.stringLikeRegexp('^aws-waf-logs-Vod'), Match.objectLike({ 'Fn::Select': Match.anyValue() })],
          ],
        },
        RetentionInDays: 365,
        KmsKeyId: Match.anyValue(),
      });
    }
  });

  it('redacts credentials from WAF logs: headers on both, and the token-bearing paths on the CDN', () => {
    const credentials = [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }];
    edgeTemplate.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [...credentials, { UriPath: {} }],
    });
    platformTemplate.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { RedactedFields: credentials });
  });

  it('lets CloudWatch Logs use the log key only for WAF log groups of its own account and region', () => {
    edgeTemplate.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt*', 'kms:Encrypt*', 'kms:GenerateDataKey*']),
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': ['', ['arn:aws:logs:us-east-1:', { Ref: 'AWS::AccountId' }, ':log-group:aws-waf-logs-*']],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('applies configured limits', () => {
    const { edgeTemplate: edge, platformTemplate: platform } = synthesize({
      cdnRateLimit: 9000,
      apiRateLimit: 500,
      uploadCreationRateLimit: 12,
      rateWindowSeconds: 60,
    });

    expect(rule(webAcl(edge), 'RateLimitPerIp')?.Statement.RateBasedStatement.Limit).toBe(9000);
    expect(rule(webAcl(platform), 'RateLimitPerIp')?.Statement.RateBasedStatement).toMatchObject({
      Limit: 500,
      EvaluationWindowSec: 60,
    });
    expect(rule(webAcl(platform), 'UploadCreationPerIp')?.Statement.RateBasedStatement.Limit).toBe(12);
  });

  it('refuses a CLOUDFRONT web ACL outside us-east-1', () => {
    const stack = new Stack(new App(), 'Elsewhere', { env: { region: 'eu-west-1' } });

    expect(() => new Firewall(stack, 'Cdn', { scope: 'CLOUDFRONT', rateLimit: 100 })).toThrow(
      'Firewall: a CLOUDFRONT web ACL must be created in us-east-1, received a stack in eu-west-1',
    );
  });

  it.each([
    [{ rateLimit: 5 }, 'Firewall: rateLimit must be an integer from 10 to 2000000000, received 5'],
    [
      { rateLimit: 100, rateWindowSeconds: 30 },
      'Firewall: rateWindowSeconds must be one of 60, 120, 300, 600, received 30',
    ],
    [
      { rateLimit: 100, scopedRateLimits: [{ name: 'Uploads', method: 'POST', pathSuffix: '/videos', limit: 200 }] },
      'Firewall: scoped rate limit Uploads (200) must not exceed rateLimit (100)',
    ],
  ])('rejects invalid limits with a message saying what it received (%j)', (props, message) => {
    expect(() => new Firewall(new Stack(), 'Api', { scope: 'REGIONAL', ...props })).toThrow(message);
  });
});
