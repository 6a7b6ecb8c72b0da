import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { API_ENV, API_ROUTES, type RouteAccess, type RouteDefinition } from '../../lambda/api/routes';
import { Delivery } from '../../lib/constructs/delivery';
import { MediaStorage } from '../../lib/constructs/media-storage';
import { MetadataCache } from '../../lib/constructs/metadata-cache';
import { API_HANDLERS_DIR, UploadApi, type UploadApiProps } from '../../lib/constructs/upload-api';
import { VideoCatalog } from '../../lib/constructs/video-catalog';
import { synthesize, synthesizeDefault } from '../support/synth';
import { IN_VPC_FUNCTION_PERMISSIONS, permissions, type Resource, type Statement } from '../support/template';

/**
 * What the route's `access` should turn into, written out independently of the construct: the
 * test's own reading of which IAM action each AWS call needs.
 */
function expectedPermissions(route: RouteDefinition): string[] {
  const { catalog, uploads, media, signingKey }: RouteAccess = route.access;
  const name = route.operationId.charAt(0).toUpperCase() + route.operationId.slice(1);
  const s3Actions: Record<RouteAccess['uploads'][number], string[]> = {
    CreateMultipartUpload: ['s3:PutObject'],
    PresignUploadPart: ['s3:PutObject'],
    CompleteMultipartUpload: ['s3:PutObject'],
    ListParts: ['s3:ListMultipartUploadParts'],
    AbortMultipartUpload: ['s3:AbortMultipartUpload'],
    HeadObject: ['s3:GetObject'],
    DeleteByPrefix: ['s3:DeleteObject'],
  };
  const lines = new Set<string>([
    `logs:CreateLogStream on Api${name}Logs`,
    `logs:PutLogEvents on Api${name}Logs`,
    ...IN_VPC_FUNCTION_PERMISSIONS,
  ]);
  for (const call of catalog) {
    lines.add(`dynamodb:${call} on ${call === 'Query' ? 'CatalogTable/index/byOwner' : 'CatalogTable'}`);
  }
  const catalogWrites = catalog.some((call) => !['GetItem', 'Query'].includes(call));
  if (catalog.length > 0) lines.add('kms:Decrypt on CatalogKey');
  if (catalogWrites) for (const action of ['kms:Encrypt', 'kms:GenerateDataKey']) lines.add(`${action} on CatalogKey`);
  for (const [calls, bucket, prefix] of [
    [uploads, 'StorageUploadBucket', 'uploads/'],
    [media, 'StorageMediaBucket', 'v/'],
  ] as const) {
    for (const call of calls) for (const action of s3Actions[call]) lines.add(`${action} on ${bucket}/${prefix}*`);
    if ((calls as readonly string[]).includes('DeleteByPrefix')) lines.add(`s3:ListBucket on ${bucket}`);
  }
  if (uploads.some((call) => s3Actions[call].includes('s3:PutObject'))) {
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) lines.add(`${action} on StorageKey`);
  }
  if (signingKey) {
    lines.add('secretsmanager:GetSecretValue on DeliverySigningKeySecret');
    lines.add('kms:Decrypt on DeliverySigningKeySecretKey');
  }
  return [...lines].sort();
}

describe('UploadApi', () => {
  const { platformTemplate: template, platform } = synthesizeDefault();
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    platform.getLogicalId(construct.node.defaultChild as never);
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const api = platform.api;
  /** Resources of a type made by the API construct (the stack holds the pipeline's too). */
  const apiIds = new Set(
    api.node
      .findAll()
      .filter((child): child is CfnElement => child instanceof CfnElement)
      .map((element) => platform.getLogicalId(element)),
  );
  const ofApi = (type: string) => ofType(type).filter(([id]) => apiIds.has(id));
  const [[, stage] = ['', {} as Resource]] = ofType('AWS::ApiGateway::Stage');
  const methodFor = (route: RouteDefinition) => {
    const method = api.api.methods.find((m) => m.httpMethod === route.method && m.resource.path === route.path);
    if (!method) throw new Error(`no method for ${route.method} ${route.path}`);
    return resources[logicalId(method)] as Resource;
  };
  const statementsOf = (route: RouteDefinition): Statement[] => {
    const roleId = logicalId(api.functions[route.operationId]?.role as never);
    return ofType('AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
  };

  describe('the REST API', () => {
    it('is a regional REST API that compresses responses of 1 KB and more', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
        MinimumCompressionSize: 1024,
      });
    });

    it('has exactly one method per route, plus CORS preflights', () => {
      const methods = ofType('AWS::ApiGateway::Method').map(([, method]) => method.Properties.HttpMethod);

      expect(methods.filter((method) => method !== 'OPTIONS')).toHaveLength(API_ROUTES.length);
      expect(methods.filter((method) => method === 'OPTIONS').length).toBeGreaterThan(0);
    });

    it.each(API_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
      'puts %s on its own handler, with the authorizer exactly when the route requires a caller',
      (_name, route) => {
        const method = methodFor(route);

        expect(method.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
        expect(JSON.stringify(method.Properties.Integration.Uri)).toContain(
          logicalId(api.functions[route.operationId] as never),
        );
        if (route.auth === 'required') {
          expect(method.Properties).toMatchObject({
            AuthorizationType: 'COGNITO_USER_POOLS',
            AuthorizerId: { Ref: logicalId(api.authorizer as never) },
          });
        } else {
          expect(method.Properties.AuthorizationType).toBe('NONE');
          expect(method.Properties.AuthorizerId).toBeUndefined();
        }
      },
    );

    it('runs no authorizer on the two public reads and on CORS preflights, and one on everything else', () => {
      const open = ofType('AWS::ApiGateway::Method')
        .filter(([, method]) => method.Properties.AuthorizationType === 'NONE')
        .map(([, method]) => method.Properties.HttpMethod)
        .filter((method) => method !== 'OPTIONS');
      const openRoutes = API_ROUTES.filter((route) => methodFor(route).Properties.AuthorizationType === 'NONE');

      expect(open).toEqual(['GET', 'GET']);
      expect(openRoutes.map((route) => `${route.method} ${route.path}`)).toEqual([
        'GET /videos/{id}',
        'GET /videos/{id}/playback',
      ]);
    });

    it('checks ID tokens from the user pool in the Authorization header', () => {
      template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'COGNITO_USER_POOLS',
        IdentitySource: 'method.request.header.Authorization',
        ProviderARNs: [{ 'Fn::GetAtt': [logicalId(api.userPool as never), 'Arn'] }],
      });
    });

    it('validates parameters and bodies, requires the id path parameter and a JSON object body', () => {
      template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      for (const route of API_ROUTES) {
        const properties = methodFor(route).Properties;
        expect(properties.RequestValidatorId).toEqual({ Ref: expect.stringMatching(/Validator/) });
        expect(properties.RequestParameters).toEqual(
          route.path.includes('{id}') ? { 'method.request.path.id': true } : undefined,
        );
        expect(Object.keys(properties.RequestModels ?? {})).toEqual(
          ['POST', 'PATCH'].includes(route.method) ? ['application/json'] : [],
        );
      }
      template.hasResourceProperties('AWS::ApiGateway::Model', {
        ContentType: 'application/json',
        Schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
      });
    });

    it('throttles the stage at 1000 requests per second with bursts of 2000', () => {
      expect(stage.Properties.MethodSettings).toContainEqual(
        expect.objectContaining({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 1000,
          ThrottlingBurstLimit: 2000,
        }),
      );
    });

    it('throttles upload creation (POST /videos) more tightly: 10 per second, bursts of 20', () => {
      const tight = API_ROUTES.filter((route) => route.throttle === 'uploadCreation');

      expect(tight.map((route) => `${route.method} ${route.path}`)).toEqual(['POST /videos']);
      expect(stage.Properties.MethodSettings).toContainEqual(
        expect.objectContaining({
          HttpMethod: 'POST',
          ResourcePath: '/~1videos',
          ThrottlingRateLimit: 10,
          ThrottlingBurstLimit: 20,
        }),
      );
      expect(stage.Properties.MethodSettings).toHaveLength(2);
    });

    it('traces with X-Ray and logs errors, never request or response bodies', () => {
      expect(stage.Properties.TracingEnabled).toBe(true);
      expect(stage.Properties.MethodSettings[0]).toMatchObject({ LoggingLevel: 'ERROR', DataTraceEnabled: false });
    });

    it('writes JSON access logs to an encrypted log group kept for a year', () => {
      const accessLogs = resources[logicalId(api.accessLogGroup)] as Resource;
      const format = JSON.parse(stage.Properties.AccessLogSetting.Format);

      expect(JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn)).toContain(logicalId(api.accessLogGroup));
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        status: '$context.status',
        user: '$context.authorizer.claims.sub',
        integrationError: '$context.integration.error',
      });
      expect(accessLogs.Properties).toMatchObject({
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [logicalId(api.logKey), 'Arn'] },
      });
    });

    it('makes the execution log group itself, encrypted and with retention, before the stage', () => {
      const [[groupId, group] = ['', {} as Resource]] = ofType('AWS::Logs::LogGroup').filter(([, g]) =>
        JSON.stringify(g.Properties.LogGroupName).includes('API-Gateway-Execution-Logs_'),
      );

      expect(group.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: expect.anything() });
      expect(group.Properties.LogGroupName).toEqual({
        'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: logicalId(api.api as never) }, '/v1']],
      });
      expect(stage.DependsOn).toContain(groupId);
    });

    it('associates the API web ACL with the stage', () => {
      template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: { 'Fn::GetAtt': [platform.getLogicalId(platform.apiFirewall.webAcl), 'Arn'] },
        ResourceArn: {
          'Fn::Join': [
            '',
            Match.arrayWith([
              { Ref: logicalId(api.api as never) },
              '/stages/',
              { Ref: logicalId(api.api.deploymentStage) },
            ]),
          ],
        },
      });
    });

    it('answers CORS preflights for the allowed origins with the API’s headers, exposing ETag', () => {
      const preflight = ofType('AWS::ApiGateway::Method').find(([, m]) => m.Properties.HttpMethod === 'OPTIONS')?.[1];
      const headers = preflight?.Properties.Integration.IntegrationResponses[0].ResponseParameters;

      expect(headers).toMatchObject({
        'method.response.header.Access-Control-Allow-Origin': "'*'",
        'method.response.header.Access-Control-Allow-Headers': "'Authorization,Content-Type,If-None-Match'",
        'method.response.header.Access-Control-Expose-Headers': "'ETag,Retry-After'",
      });
      expect(preflight?.Properties.AuthorizationType).toBe('NONE');
    });
  });

  describe('gateway responses', () => {
    const responses = ofType('AWS::ApiGateway::GatewayResponse').map(([, response]) => response.Properties);
    const byType = (type: string) => responses.find((response) => response.ResponseType === type);
    // API Gateway fills in $context.error.messageString as a quoted JSON string.
    const render = (template: string) => JSON.parse(template.replace('$context.error.messageString', '"Some error"'));

    it.each([
      ['DEFAULT_4XX', 'BAD_REQUEST'],
      ['DEFAULT_5XX', 'INTERNAL_ERROR'],
      ['UNAUTHORIZED', 'UNAUTHORIZED'],
      ['ACCESS_DENIED', 'FORBIDDEN'],
      ['THROTTLED', 'RATE_LIMITED'],
      ['BAD_REQUEST_BODY', 'VALIDATION_FAILED'],
      ['BAD_REQUEST_PARAMETERS', 'VALIDATION_FAILED'],
      ['MISSING_AUTHENTICATION_TOKEN', 'NOT_FOUND'],
      ['REQUEST_TOO_LARGE', 'PAYLOAD_TOO_LARGE'],
      ['WAF_FILTERED', 'FORBIDDEN'],
    ])('answers %s in the API’s error shape with code %s and CORS headers', (type, code) => {
      const response = byType(type);

      expect(render(response?.ResponseTemplates['application/json'])).toEqual({
        error: { code, message: expect.any(String) },
      });
      expect(response?.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
        'gatewayresponse.header.Access-Control-Expose-Headers': "'ETag, Retry-After'",
      });
    });

    it('answers an unknown route 404 instead of API Gateway’s 403 "Missing Authentication Token"', () => {
      expect(byType('MISSING_AUTHENTICATION_TOKEN')?.StatusCode).toBe('404');
    });

    it('tells throttled callers when to retry', () => {
      expect(byType('THROTTLED')?.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
    });
  });

  describe('the handlers', () => {
    const functions = API_ROUTES.map(
      (route) =>
        [route.operationId, resources[logicalId(api.functions[route.operationId] as never)] as Resource] as const,
    );

    it('bundles one handler per route from lambda/api/<handlerFile>.ts', () => {
      expect(ofApi('AWS::Lambda::Function')).toHaveLength(API_ROUTES.length);
      for (const route of API_ROUTES) expect(existsSync(join(API_HANDLERS_DIR, `${route.handlerFile}.ts`))).toBe(true);
    });

    it.each(functions)(
      'runs %s on the newest Node.js, ARM64, traced, in the cache VPC’s isolated subnets',
      (_id, fn) => {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          MemorySize: 512,
          Timeout: 15,
          VpcConfig: {
            SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(api.securityGroup), 'GroupId'] }],
            SubnetIds: [
              { Ref: expect.stringMatching(/IsolatedSubnet1/) },
              { Ref: expect.stringMatching(/IsolatedSubnet2/) },
            ],
          },
        });
      },
    );

    it.each(functions)('gives %s every setting the handlers read, and Powertools its names', (_id, fn) => {
      const variables = fn.Properties.Environment.Variables;

      // Without a webhook receiver configured (the default), no handler is told of a webhook queue.
      const expected = Object.values(API_ENV).filter((name) => name !== API_ENV.webhookQueueUrl);
      expect(Object.keys(variables).sort()).toEqual(
        [...expected, 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'].sort(),
      );
      // No --enable-source-maps: Node would read and parse each bundle's map at every cold start.
      expect(variables.NODE_OPTIONS).toBeUndefined();
      expect(variables).toMatchObject({
        CACHE_TLS: 'true',
        CACHE_TTL_SECONDS: '300',
        MAX_UPLOAD_BYTES: '53687091200',
        UPLOAD_URL_TTL_SECONDS: '3600',
        PUBLIC_PLAYBACK_TTL_SECONDS: '86400',
        PRIVATE_PLAYBACK_TTL_SECONDS: '14400',
        CATALOG_OWNER_INDEX_NAME: 'byOwner',
        ALLOWED_CONTENT_TYPES:
          'video/mp4,video/quicktime,video/x-matroska,video/webm,video/x-msvideo,video/mpeg,video/mp2t,video/x-m4v',
        CATALOG_TABLE_NAME: { Ref: logicalId(platform.catalog.table) },
        SIGNING_KEY_SECRET_ARN: { Ref: logicalId(platform.delivery.signingKeySecret) },
        JWT_AUDIENCE: { Ref: logicalId(api.userPoolClient as never) },
      });
    });

    it('points the handlers at the pool’s issuer and JWKS, and at the CDN', () => {
      const [, fn] = functions[0] ?? [];
      const variables = fn?.Properties.Environment.Variables;
      const pool = { Ref: logicalId(api.userPool as never) };

      expect(variables.JWT_ISSUER).toEqual({
        'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', pool]],
      });
      expect(variables.JWKS_URL).toEqual({
        'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', pool, '/.well-known/jwks.json']],
      });
      expect(variables.CDN_BASE_URL).toEqual({
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(platform.delivery.distribution), 'DomainName'] }]],
      });
    });

    it.each(functions)('logs %s to its own encrypted log group with the configured retention', (_id, fn) => {
      const group = resources[fn.Properties.LoggingConfig.LogGroup.Ref] as Resource;

      expect(group.Properties).toMatchObject({
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [logicalId(api.logKey), 'Arn'] },
      });
    });

    it('lets CloudWatch Logs use the log key only for this API’s log groups', () => {
      const statements = (resources[logicalId(api.logKey)] as Resource).Properties.KeyPolicy.Statement;
      const logsStatements = statements.filter((s: any) => JSON.stringify(s.Principal).includes('logs.'));

      expect(logsStatements.map((s: any) => JSON.stringify(s.Condition.ArnLike))).toEqual([
        expect.stringMatching(/log-group:\/VodPlatform-Api-[0-9A-F]{8}\/\*"/),
        expect.stringMatching(/log-group:API-Gateway-Execution-Logs_\*"/),
      ]);
    });
  });

  describe('least privilege', () => {
    it.each(API_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
      'lets the handler of %s make exactly the calls its route lists',
      (_name, route) => {
        expect(permissions(statementsOf(route))).toEqual(expectedPermissions(route));
      },
    );

    it('never grants a wildcard action', () => {
      const actions = ofType('AWS::IAM::Policy').flatMap(([, policy]) =>
        (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap((statement) => [statement.Action].flat()),
      );

      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    });

    it('uses no AWS managed policy on the handlers’ roles', () => {
      const roles = ofApi('AWS::IAM::Role');

      expect(roles.length).toBeGreaterThanOrEqual(API_ROUTES.length);
      for (const [, role] of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    const route = (operationId: string) => API_ROUTES.find((r) => r.operationId === operationId) as RouteDefinition;
    const can = (operationId: string, action: string) =>
      permissions(statementsOf(route(operationId))).some((line) => line.startsWith(`${action} on`));

    it('does not let reading a video write the catalog', () => {
      expect(can('getVideo', 'dynamodb:GetItem')).toBe(true);
      expect(can('getVideo', 'dynamodb:PutItem')).toBe(false);
      expect(can('getVideo', 'dynamodb:UpdateItem')).toBe(false);
    });

    it('does not let creating a video delete anything', () => {
      expect(can('createVideo', 's3:PutObject')).toBe(true);
      expect(can('createVideo', 's3:DeleteObject')).toBe(false);
      expect(can('createVideo', 'dynamodb:DeleteItem')).toBe(false);
    });

    it('lets only the playback route read the signing key', () => {
      const readers = API_ROUTES.filter((r) => can(r.operationId, 'secretsmanager:GetSecretValue'));

      expect(readers.map((r) => r.operationId)).toEqual(['getPlayback']);
    });

    it('lets only the delete route list or delete objects, each under its own prefix', () => {
      const deleters = API_ROUTES.filter((r) => can(r.operationId, 's3:DeleteObject'));
      const listing = statementsOf(route('deleteVideo')).filter((s) => s.Action === 's3:ListBucket');

      expect(deleters.map((r) => r.operationId)).toEqual(['deleteVideo']);
      expect(listing.map((s) => s.Condition)).toEqual([
        { StringLike: { 's3:prefix': 'uploads/*' } },
        { StringLike: { 's3:prefix': 'v/*' } },
      ]);
    });
  });

  describe('the user pool it creates', () => {
    it('signs users in by email with a strong password and optional TOTP, without self sign-up', () => {
      template.hasResourceProperties('AWS::Cognito::UserPool', {
        UsernameAttributes: ['email'],
        MfaConfiguration: 'OPTIONAL',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        DeletionProtection: 'ACTIVE',
        Policies: {
          PasswordPolicy: {
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          },
        },
      });
    });

    it('has an app client without secret for SRP sign-in, and no OAuth flows', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: false,
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        AllowedOAuthFlowsUserPoolClient: false,
        PreventUserExistenceErrors: 'ENABLED',
      });
    });

    it('is kept when the stack is deleted', () => {
      const [[, pool] = ['', {} as Resource & { DeletionPolicy?: string }]] = ofType('AWS::Cognito::UserPool');

      expect((pool as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    });
  });

  it('uses an existing user pool and the custom CDN domain when configured', () => {
    // Prepare and act
    const { platformTemplate } = synthesize({
      userPoolId: 'eu-west-1_AbC123',
      userPoolClientId: 'client123',
      domainNames: ['media.example.com'],
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
    });

    // Assess
    platformTemplate.resourceCountIs('AWS::Cognito::UserPool', 0);
    platformTemplate.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    platformTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      ProviderARNs: [
        {
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':userpool/eu-west-1_AbC123$')])],
        },
      ],
    });
    platformTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
          JWKS_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json',
          JWT_AUDIENCE: 'client123',
          CDN_BASE_URL: 'https://media.example.com',
        }),
      },
    });
  });

  describe('refuses props it cannot deploy', () => {
    function props(overrides: Partial<UploadApiProps>): { stack: Stack; props: UploadApiProps } {
      const stack = new Stack();
      const storage = new MediaStorage(stack, 'Storage');
      return {
        stack,
        props: {
          catalog: new VideoCatalog(stack, 'Catalog'),
          storage,
          cache: new MetadataCache(stack, 'Cache', { flowLogBucket: storage.logBucket }),
          signingKeys: new Delivery(stack, 'Delivery', {
            mediaBucket: storage.mediaBucket,
            logBucket: storage.logBucket,
          }),
          cdnBaseUrl: 'https://cdn.example.com',
          ...overrides,
        },
      };
    }

    it('refuses a user pool without its app client', () => {
      const { stack, props: base } = props({});
      const userPool = new cognito.UserPool(stack, 'Pool');

      expect(() => new UploadApi(stack, 'Api', { ...base, userPool })).toThrow(
        'UploadApi: userPool and userPoolClient go together; received only one of them',
      );
    });

    it('refuses a burst below the rate, saying what it received', () => {
      const { stack, props: base } = props({ uploadCreationThrottle: { ratePerSecond: 10, burst: 5 } });

      expect(() => new UploadApi(stack, 'Api', base)).toThrow(
        'UploadApi: uploadCreationThrottle must be positive integers with burst at least the rate, received {"ratePerSecond":10,"burst":5}',
      );
    });

    it('refuses an empty list of allowed origins', () => {
      const { stack, props: base } = props({ allowedOrigins: [] });

      expect(() => new UploadApi(stack, 'Api', base)).toThrow(
        'UploadApi: allowedOrigins must name at least one origin (or "*"), received []',
      );
    });
  });
});
