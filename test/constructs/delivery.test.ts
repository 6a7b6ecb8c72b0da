import { readFileSync } from 'node:fs';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SECRET_PATTERN } from '../../lambda/core/playback-token';
import { PLAYBACK_TOKEN_FUNCTION_PATH } from '../../lambda/edge/functions';
import { Delivery } from '../../lib/constructs/delivery';
import { synthesize, synthesizeDefault } from '../support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function distributionConfig(template: Template): Record<string, any> {
  const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution') as Resources);
  return distribution?.Properties.DistributionConfig;
}

function cachePolicyConfig(template: Template, logicalId: string): Record<string, any> {
  return (template.toJSON().Resources as Resources)[logicalId]?.Properties.CachePolicyConfig;
}

describe('Delivery', () => {
  const { platformTemplate: template, platform } = synthesizeDefault();
  const config = distributionConfig(template);
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    platform.getLogicalId(construct.node.defaultChild as never);
  const manifestPolicyId = logicalId(platform.delivery.manifestCachePolicy);
  const mediaPolicyId = logicalId(platform.delivery.mediaCachePolicy);
  const functionId = logicalId(platform.delivery.tokenFunction);

  it('reads the media bucket through origin access control, never publicly', () => {
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
    const [origin] = config.Origins;
    expect(origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Id'] });
    expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(origin.DomainName).toEqual({
      'Fn::GetAtt': [logicalId(platform.storage.mediaBucket), 'RegionalDomainName'],
    });
  });

  it('lets only this distribution read the media bucket, and only GetObject', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(platform.storage.mediaBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: {
              StringEquals: {
                'AWS:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudfront::',
                      { Ref: 'AWS::AccountId' },
                      ':distribution/',
                      { Ref: logicalId(platform.delivery.distribution) },
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('serves HTTP/2 and HTTP/3 over IPv4 and IPv6, redirecting plain HTTP to HTTPS', () => {
    expect(config.HttpVersion).toBe('http2and3');
    expect(config.IPV6Enabled).toBe(true);
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    }
  });

  it('puts the region in the names of its account-global CloudFront resources', () => {
    const resources = template.toJSON().Resources as Resources;
    const names = [
      resources[logicalId(platform.delivery.signingKeys)]?.Properties.Name,
      resources[logicalId(platform.delivery.manifestResponseHeaders)]?.Properties.ResponseHeadersPolicyConfig.Name,
      resources[logicalId(platform.delivery.mediaResponseHeaders)]?.Properties.ResponseHeadersPolicyConfig.Name,
      ...Object.values(template.findResources('AWS::CloudFront::OriginAccessControl')).map(
        (oac) => oac.Properties.OriginAccessControlConfig.Name,
      ),
    ];

    expect(names).toHaveLength(4);
    for (const name of names) expect(name).toMatch(/^VodPlatform-Delivery-[0-9A-F]{8}-eu-west-1/);
  });

  it('uses the cheapest price class by default', () => {
    expect(config.PriceClass).toBe('PriceClass_100');
  });

  it('caches manifests briefly and compresses them', () => {
    const [manifests] = config.CacheBehaviors;
    expect(manifests.PathPattern).toBe('*.m3u8');
    expect(manifests.CachePolicyId).toEqual({ Ref: manifestPolicyId });
    expect(manifests.Compress).toBe(true);
    const policy = cachePolicyConfig(template, manifestPolicyId);
    expect([policy.DefaultTTL, policy.MaxTTL]).toEqual([10, 10]);
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingGzip).toBe(true);
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingBrotli).toBe(true);
  });

  it('caches segments, MP4 and thumbnails for a year, uncompressed', () => {
    const media = config.DefaultCacheBehavior;
    expect(media.CachePolicyId).toEqual({ Ref: mediaPolicyId });
    expect(media.Compress).toBe(false);
    const policy = cachePolicyConfig(template, mediaPolicyId);
    expect([policy.MinTTL, policy.DefaultTTL, policy.MaxTTL]).toEqual([31_536_000, 31_536_000, 31_536_000]);
  });

  it.each([
    ['manifest', () => manifestPolicyId],
    ['media', () => mediaPolicyId],
  ])('keeps query strings, cookies and headers out of the %s cache key', (_name, id) => {
    const parameters = cachePolicyConfig(template, id()).ParametersInCacheKeyAndForwardedToOrigin;
    expect(parameters.QueryStringsConfig).toEqual({ QueryStringBehavior: 'none' });
    expect(parameters.CookiesConfig).toEqual({ CookieBehavior: 'none' });
    expect(parameters.HeadersConfig).toEqual({ HeaderBehavior: 'none' });
  });

  it('passes GET and HEAD (and so Range requests) through to S3, and CORS preflights uncached', () => {
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS']);
      expect(behavior.CachedMethods).toEqual(['GET', 'HEAD']);
      // The managed CORS-S3Origin policy forwards only Origin and the Access-Control-Request-* headers.
      expect(behavior.OriginRequestPolicyId).toBe('88a5eaf4-2fd4-4709-b370-b4c650ea3fcf');
    }
  });

  it('lets S3 answer the CORS preflights CloudFront forwards, for reads only', () => {
    const bucket = (template.toJSON().Resources as Resources)[logicalId(platform.storage.mediaBucket)];

    expect(bucket?.Properties.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({ AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: ['*'] }),
    ]);
  });

  it('checks the playback token on every behavior before the cache lookup', () => {
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
      ]);
    }
  });

  it('deploys the token function source file unchanged, on cloudfront-js-2.0, with the signing keys', () => {
    const fn = (template.toJSON().Resources as Resources)[functionId]?.Properties;

    expect(fn?.FunctionCode).toBe(readFileSync(PLAYBACK_TOKEN_FUNCTION_PATH, 'utf8'));
    expect(fn?.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(fn?.FunctionConfig.KeyValueStoreAssociations).toEqual([
      { KeyValueStoreARN: { 'Fn::GetAtt': [logicalId(platform.delivery.signingKeys), 'Arn'] } },
    ]);
    expect(fn?.AutoPublish).toBe(true);
  });

  it('keeps the function within the CloudFront Functions size limit of 10 KB', () => {
    expect(readFileSync(PLAYBACK_TOKEN_FUNCTION_PATH).byteLength).toBeLessThan(10 * 1024);
  });

  it('ships the signing key store empty: no secret is ever in the template', () => {
    template.hasResourceProperties('AWS::CloudFront::KeyValueStore', { ImportSource: Match.absent() });
  });

  it.each([
    ['manifests', () => config.CacheBehaviors[0], () => platform.delivery.manifestResponseHeaders, 'max-age=10'],
    [
      'media',
      () => config.DefaultCacheBehavior,
      () => platform.delivery.mediaResponseHeaders,
      'max-age=31536000, immutable',
    ],
  ])(
    'answers %s with CORS for web players, security headers and Cache-Control',
    (_kind, behavior, policy, cacheControl) => {
      const policyConfig = (template.toJSON().Resources as Resources)[logicalId(policy())]?.Properties
        .ResponseHeadersPolicyConfig;

      expect(behavior().ResponseHeadersPolicyId).toEqual({ Ref: logicalId(policy()) });
      expect(policyConfig.CorsConfig).toMatchObject({
        AccessControlAllowCredentials: false,
        AccessControlAllowMethods: { Items: ['GET', 'HEAD', 'OPTIONS'] },
        AccessControlAllowOrigins: { Items: ['*'] },
        AccessControlExposeHeaders: { Items: expect.arrayContaining(['Content-Range', 'Accept-Ranges', 'ETag']) },
      });
      expect(policyConfig.SecurityHeadersConfig).toMatchObject({
        StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
      });
      // Not overriding: the token check's 403 keeps its no-store.
      expect(policyConfig.CustomHeadersConfig.Items).toEqual([
        { Header: 'Cache-Control', Value: cacheControl, Override: false },
      ]);
    },
  );

  it('writes access logs to the log bucket', () => {
    expect(config.Logging).toEqual({
      Bucket: { 'Fn::GetAtt': [logicalId(platform.storage.logBucket), 'RegionalDomainName'] },
      Prefix: 'cloudfront/',
    });
  });

  it('adds an Origin Shield and a custom domain with TLS 1.2 and SNI when configured', () => {
    // Prepare and act
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
    const { platformTemplate } = synthesize({
      originShieldRegion: 'eu-central-1',
      domainNames: ['media.example.com'],
      certificateArn,
    });

    // Assess
    const custom = distributionConfig(platformTemplate);
    expect(custom.Origins[0].OriginShield).toEqual({ Enabled: true, OriginShieldRegion: 'eu-central-1' });
    expect(custom.Aliases).toEqual(['media.example.com']);
    expect(custom.ViewerCertificate).toEqual({
      AcmCertificateArn: certificateArn,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
  });

  it('grants key readers only the read calls on this key store', () => {
    // Prepare
    const stack = new Stack();
    const delivery = new Delivery(stack, 'Delivery', {
      mediaBucket: new s3.Bucket(stack, 'Media'),
      logBucket: new s3.Bucket(stack, 'Logs', { objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED }),
    });
    const role = new iam.Role(stack, 'Api', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    delivery.grantSigningKeyRead(role);

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'cloudfront-keyvaluestore:DescribeKeyValueStore',
              'cloudfront-keyvaluestore:GetKey',
              'cloudfront-keyvaluestore:ListKeys',
            ],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('SigningKeys'), 'Arn'] },
          },
        ],
      },
    });
  });

  it('generates the first signing key in Secrets Manager, as the API and the token format expect', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"keyId":"k1"}',
        GenerateStringKey: 'secret',
        // Letters and digits only, 48 of them: within SECRET_PATTERN (32 to 128 of [A-Za-z0-9_-]).
        ExcludePunctuation: true,
        IncludeSpace: false,
        PasswordLength: 48,
      },
      KmsKeyId: { 'Fn::GetAtt': [logicalId(platform.delivery.signingKeySecretKey), 'Arn'] },
    });
    expect(SECRET_PATTERN.source).toBe('^[A-Za-z0-9_-]{32,128}$');
  });

  it('grants the key reader GetSecretValue on this secret, decrypting through Secrets Manager only', () => {
    // Prepare
    const stack = new Stack(undefined, 'Test', { env: { region: 'eu-west-1' } });
    const bucket = new s3.Bucket(stack, 'Media');
    const delivery = new Delivery(stack, 'Delivery', { mediaBucket: bucket, logBucket: bucket });
    const role = new iam.Role(stack, 'Playback', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    delivery.grantReadCurrentSigningKey(role);

    // Assess
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^DeliverySigningKeySecretKey/), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      },
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: expect.stringMatching(/^DeliverySigningKeySecret/) },
      },
    ]);
  });

  it('rejects a manifest TTL longer than the media TTL, naming both', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Media');

    expect(
      () =>
        new Delivery(stack, 'Delivery', {
          mediaBucket: bucket,
          logBucket: bucket,
          manifestTtl: Duration.hours(2),
          mediaTtl: Duration.hours(1),
        }),
    ).toThrow('Delivery: manifestTtl (7200 s) must not exceed mediaTtl (3600 s)');
  });

  it('rejects a zero manifest TTL, which would stop compression', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Media');

    expect(
      () =>
        new Delivery(stack, 'Delivery', { mediaBucket: bucket, logBucket: bucket, manifestTtl: Duration.seconds(0) }),
    ).toThrow('Delivery: manifestTtl must be at least 1 s so manifests can be compressed, received 0 s');
  });

  it('rejects a custom domain without a certificate', () => {
    const stack = new Stack();
    const bucket = new s3.Bucket(stack, 'Media');

    expect(
      () => new Delivery(stack, 'Delivery', { mediaBucket: bucket, logBucket: bucket, domainNames: ['a.example.com'] }),
    ).toThrow(/domainNames and certificate go together/);
  });
});
