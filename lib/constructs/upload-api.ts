import { join } from 'node:path';
import { Duration, Fn, Names, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { API_CORS, API_ENV, API_ROUTES, API_TELEMETRY, type RouteDefinition } from '../../lambda/api/routes';
import {
  allowCloudWatchLogsToUse,
  GuardRule,
  NagRule,
  nagObjectPrefixWildcard,
  restrictGrantsToAwsServices,
} from '../checks';
import { allowVpcAttachment, HANDLER_DEFAULTS } from '../functions';
import { PROJECT_ROOT } from '../project-root';
import type { Delivery } from './delivery';
import { MEDIA_PREFIX, type MediaStorage, UPLOAD_PREFIX } from './media-storage';
import type { MetadataCache } from './metadata-cache';
import type { VideoCatalog } from './video-catalog';
import type { Webhooks } from './webhooks';

/** Where the handlers live: `lambda/api/<handlerFile>.ts`, each exporting `handler`. */
export const API_HANDLERS_DIR = join(PROJECT_ROOT, 'lambda', 'api');

/** API Gateway's own error responses, in the API's error shape `{"error":{"code","message"}}`. */
export const GATEWAY_ERRORS: readonly {
  readonly type: apigw.ResponseType;
  readonly code: string;
  /** Overrides API Gateway's status. */
  readonly statusCode?: string;
  /** A fixed message (a JSON string) instead of API Gateway's own. */
  readonly message?: string;
  readonly headers?: Readonly<Record<string, string>>;
}[] = [
  { type: apigw.ResponseType.DEFAULT_4XX, code: 'BAD_REQUEST' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'INTERNAL_ERROR' },
  { type: apigw.ResponseType.UNAUTHORIZED, code: 'UNAUTHORIZED' },
  { type: apigw.ResponseType.ACCESS_DENIED, code: 'FORBIDDEN' },
  // Stage and method throttles refill every second.
  { type: apigw.ResponseType.THROTTLED, code: 'RATE_LIMITED', headers: { 'Retry-After': "'1'" } },
  { type: apigw.ResponseType.BAD_REQUEST_BODY, code: 'VALIDATION_FAILED' },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, code: 'VALIDATION_FAILED' },
  // API Gateway answers an unknown path or method with 403 "Missing Authentication Token".
  {
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    code: 'NOT_FOUND',
    statusCode: '404',
    message: '"No such route."',
  },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, code: 'PAYLOAD_TOO_LARGE' },
  { type: apigw.ResponseType.WAF_FILTERED, code: 'FORBIDDEN' },
];

/** A steady rate and a burst, in requests per second. */
export interface ThrottleLimits {
  readonly ratePerSecond: number;
  readonly burst: number;
}

export interface UploadApiProps {
  /** The catalog the handlers read and write. */
  readonly catalog: VideoCatalog;
  /** The buckets uploads go to and outputs are deleted from. */
  readonly storage: MediaStorage;
  /** The metadata cache; the handlers run in its VPC. */
  readonly cache: MetadataCache;
  /** Holds the current playback signing key (the playback route reads it). */
  readonly signingKeys: Pick<Delivery, 'signingKeySecret' | 'grantReadCurrentSigningKey'>;
  /**
   * Where `video.deleted` goes.
   * @default - no webhooks
   */
  readonly webhooks?: Pick<Webhooks, 'queue' | 'grantPublish'>;
  /** Base URL of the CDN that playback URLs point to, such as `https://d111.cloudfront.net`. */
  readonly cdnBaseUrl: string;
  /**
   * ARN of a REGIONAL WAF web ACL to associate with the stage.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Origins that may call the API from a browser (CORS).
   * @default ['*']
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * An existing user pool whose ID tokens the API accepts; needs `userPoolClient`.
   * @default - a new user pool
   */
  readonly userPool?: cognito.IUserPool;
  /**
   * The app client of `userPool` whose ID tokens the API accepts (their audience).
   * @default - a new app client without secret, for SRP sign-in
   */
  readonly userPoolClient?: cognito.IUserPoolClient;
  /**
   * Whether anyone may sign up to the user pool the API creates.
   * @default false (administrators create users)
   */
  readonly selfSignUp?: boolean;
  /**
   * Largest source file, in bytes.
   * @default 53687091200 (50 GiB)
   */
  readonly maxUploadBytes?: number;
  /**
   * Media types an upload may declare.
   * @default ['video/mp4']
   */
  readonly allowedContentTypes?: readonly string[];
  /**
   * How long a presigned upload-part URL stays valid.
   * @default Duration.hours(1)
   */
  readonly uploadUrlTtl?: Duration;
  /**
   * How long a playback token for a public video stays valid.
   * @default Duration.days(1)
   */
  readonly publicPlaybackTtl?: Duration;
  /**
   * How long a playback token for a private video stays valid.
   * @default Duration.hours(4)
   */
  readonly privatePlaybackTtl?: Duration;
  /**
   * How long video metadata stays in the cache.
   * @default Duration.minutes(5)
   */
  readonly cacheTtl?: Duration;
  /**
   * The stage's throttle, all callers together.
   * @default { ratePerSecond: 1000, burst: 2000 }
   */
  readonly throttle?: ThrottleLimits;
  /**
   * The tighter throttle of upload creation (`POST /videos`), all callers together.
   * @default { ratePerSecond: 10, burst: 20 }
   */
  readonly uploadCreationThrottle?: ThrottleLimits;
  /**
   * How long the functions' logs and the access logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of each handler, in MB (CPU grows with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Longest a handler may run; API Gateway gives up after 29 s.
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;
  /**
   * Name of the stage, the first segment of every path.
   * @default 'v1'
   */
  readonly stageName?: string;
}

const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

function checkThrottle(name: string, limits: ThrottleLimits): ThrottleLimits {
  const { ratePerSecond, burst } = limits;
  if (![ratePerSecond, burst].every((value) => Number.isInteger(value) && value > 0) || burst < ratePerSecond) {
    throw new Error(
      `UploadApi: ${name} must be positive integers with burst at least the rate, received ${JSON.stringify(limits)}`,
    );
  }
  return limits;
}

function checkTtl(name: string, ttl: Duration, min: number, max: number): number {
  const seconds = ttl.toSeconds();
  if (seconds < min || seconds > max) {
    throw new Error(`UploadApi: ${name} must be from ${min} s to ${max} s, received ${seconds} s`);
  }
  return seconds;
}

/**
 * The upload and metadata API: a regional REST API whose routes (`API_ROUTES`) each run their own
 * Lambda function, in the cache's isolated subnets, with a role that grants exactly the AWS calls
 * the route lists. A Cognito user pool authorizer guards every route that needs a caller; request
 * validation, throttling (tighter on upload creation), compression, JSON access logs, X-Ray, CORS,
 * error responses in the API's shape, and the API web ACL in front.
 */
export class UploadApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly userPool: cognito.IUserPool;
  public readonly userPoolClient: cognito.IUserPoolClient;
  public readonly authorizer: apigw.CognitoUserPoolsAuthorizer;
  /** The handlers by route `operationId`. */
  public readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  /** The security group the handlers run in; the cache and the interface endpoints let it in. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Encrypts the handlers' logs and the access logs. */
  public readonly logKey: kms.Key;
  public readonly accessLogGroup: logs.LogGroup;
  /** The stage URL, such as `https://abc.execute-api.eu-west-1.amazonaws.com/v1/`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: UploadApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const allowedOrigins = props.allowedOrigins ?? ['*'];
    if (allowedOrigins.length === 0) {
      throw new Error('UploadApi: allowedOrigins must name at least one origin (or "*"), received []');
    }
    if ((props.userPool === undefined) !== (props.userPoolClient === undefined)) {
      throw new Error('UploadApi: userPool and userPoolClient go together; received only one of them');
    }
    const throttle = checkThrottle('throttle', props.throttle ?? { ratePerSecond: 1000, burst: 2000 });
    const uploadCreationThrottle = checkThrottle(
      'uploadCreationThrottle',
      props.uploadCreationThrottle ?? { ratePerSecond: 10, burst: 20 },
    );
    const maxUploadBytes = props.maxUploadBytes ?? 53_687_091_200;
    if (!Number.isInteger(maxUploadBytes) || maxUploadBytes < 1) {
      throw new Error(`UploadApi: maxUploadBytes must be a positive integer, received ${maxUploadBytes}`);
    }
    const allowedContentTypes = props.allowedContentTypes ?? ['video/mp4'];
    if (allowedContentTypes.length === 0) {
      throw new Error('UploadApi: allowedContentTypes must name at least one media type, received []');
    }
    const uploadUrlTtl = checkTtl('uploadUrlTtl', props.uploadUrlTtl ?? Duration.hours(1), 60, 604_800);
    const publicPlaybackTtl = checkTtl('publicPlaybackTtl', props.publicPlaybackTtl ?? Duration.days(1), 60, 604_800);
    const privatePlaybackTtl = checkTtl(
      'privatePlaybackTtl',
      props.privatePlaybackTtl ?? Duration.hours(4),
      60,
      604_800,
    );
    const cacheTtl = checkTtl('cacheTtl', props.cacheTtl ?? Duration.minutes(5), 1, 86_400);
    const stageName = props.stageName ?? 'v1';
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;

    // Users and the tokens the API trusts.
    if (props.userPool && props.userPoolClient) {
      this.userPool = props.userPool;
      this.userPoolClient = props.userPoolClient;
    } else {
      const userPool = this.createUserPool(props.selfSignUp ?? false);
      this.userPool = userPool;
      this.userPoolClient = userPool.addClient('WebClient', {
        // Browsers and apps cannot keep a client secret.
        generateSecret: false,
        authFlows: { userSrp: true },
        disableOAuth: true,
        preventUserExistenceErrors: true,
        enableTokenRevocation: true,
        idTokenValidity: Duration.hours(1),
        accessTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(30),
      });
    }
    const issuer = `https://cognito-idp.${stack.region}.amazonaws.com/${this.userPool.userPoolId}`;

    // Logs: one key for the handlers' logs and the API's logs, usable only for this API's groups.
    const logPrefix = `/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    // The stack's id keeps names unique after a `cdk destroy` that retains the old groups.
    const stackUuid = Fn.select(2, Fn.split('/', stack.stackId));
    this.logKey = new kms.Key(this, 'LogKey', {
      description: `Encrypts the logs of ${logPrefix}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    restrictGrantsToAwsServices(this.logKey);
    allowCloudWatchLogsToUse(this.logKey, `${logPrefix}/*`);
    const logGroup = (logicalId: string, name: string) =>
      new logs.LogGroup(this, logicalId, {
        logGroupName: `${logPrefix}/${name}-${stackUuid}`,
        retention: logRetention,
        encryptionKey: this.logKey,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    // The handlers' network: the cache's isolated subnets, reaching AWS only through endpoints.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cache.vpc,
      description: 'API handlers: TLS to the cache and to AWS through VPC endpoints',
      allowAllOutbound: false,
    });
    // The gateway endpoints (S3, DynamoDB) have no security group to name; the subnets have no
    // route to the internet, so HTTPS can reach nothing but the endpoints.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'AWS APIs through the VPC endpoints (no other route)',
    );
    props.cache.allowClientsFrom(this.securityGroup);
    if (API_ROUTES.some((route) => route.access.signingKey)) {
      props.cache.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, this.securityGroup);
    }
    if (props.webhooks && API_ROUTES.some((route) => route.access.webhooks)) {
      props.cache.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.SQS, this.securityGroup);
    }
    if (API_ROUTES.some((route) => route.access.verifiesTokens)) {
      // The handlers without an authorizer fetch the pool's signing keys (JWKS) themselves.
      props.cache.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP, this.securityGroup);
    }

    const settings: Record<keyof typeof API_ENV, string> = {
      tableName: props.catalog.table.tableName,
      ownerIndexName: props.catalog.ownerIndexName,
      uploadBucket: props.storage.uploadBucket.bucketName,
      mediaBucket: props.storage.mediaBucket.bucketName,
      cacheEndpoint: props.cache.endpoint,
      // ElastiCache Serverless only accepts TLS.
      cacheTls: 'true',
      cacheTtlSeconds: String(cacheTtl),
      cdnBaseUrl: props.cdnBaseUrl,
      signingKeySecretArn: props.signingKeys.signingKeySecret.secretArn,
      jwtIssuer: issuer,
      jwtAudience: this.userPoolClient.userPoolClientId,
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      maxUploadBytes: String(maxUploadBytes),
      allowedContentTypes: allowedContentTypes.join(','),
      uploadUrlTtlSeconds: String(uploadUrlTtl),
      publicPlaybackTtlSeconds: String(publicPlaybackTtl),
      privatePlaybackTtlSeconds: String(privatePlaybackTtl),
      allowedOrigins: allowedOrigins.join(','),
      webhookQueueUrl: props.webhooks?.queue.queueUrl ?? '',
    };
    const environment: Record<string, string> = {
      ...Object.fromEntries(
        Object.entries(settings)
          .filter(([, value]) => value !== '')
          .map(([key, value]) => [API_ENV[key as keyof typeof API_ENV], value]),
      ),
      POWERTOOLS_SERVICE_NAME: API_TELEMETRY.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: API_TELEMETRY.metricsNamespace,
    };

    const functions: Record<string, nodejs.NodejsFunction> = {};
    for (const route of API_ROUTES) {
      functions[route.operationId] = this.createHandler(route, props, {
        environment,
        logGroup: logGroup(`${pascal(route.operationId)}Logs`, route.operationId),
        memorySize: props.memorySize ?? 512,
        timeout: props.timeout ?? Duration.seconds(15),
      });
    }
    this.functions = functions;

    // The REST API.
    this.accessLogGroup = logGroup('AccessLogs', 'access');
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'Video uploads and metadata',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      minCompressionSize: Size.bytes(1024),
      // The account's CloudWatch role is a per-region singleton; see docs/deploy.md.
      cloudWatchRole: false,
      deployOptions: {
        stageName,
        tracingEnabled: true,
        throttlingRateLimit: throttle.ratePerSecond,
        throttlingBurstLimit: throttle.burst,
        // Errors only: request and response bodies would put tokens and user data in the logs.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            extendedRequestId: '$context.extendedRequestId',
            requestTime: '$context.requestTimeEpoch',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            user: '$context.authorizer.claims.sub',
            method: '$context.httpMethod',
            resource: '$context.resourcePath',
            path: '$context.path',
            protocol: '$context.protocol',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integration.latency',
            integrationStatus: '$context.integration.status',
            integrationError: '$context.integration.error',
            authorizerError: '$context.authorizer.error',
            error: '$context.error.message',
            wafStatus: '$context.waf.status',
            xrayTraceId: '$context.xrayTraceId',
          }),
        ),
        methodOptions: Object.fromEntries(
          API_ROUTES.filter((route) => route.throttle === 'uploadCreation').map((route) => [
            `${route.path}/${route.method}`,
            {
              throttlingRateLimit: uploadCreationThrottle.ratePerSecond,
              throttlingBurstLimit: uploadCreationThrottle.burst,
            },
          ]),
        ),
      },
      defaultCorsPreflightOptions: {
        allowOrigins: [...allowedOrigins],
        allowMethods: [...new Set(API_ROUTES.map((route) => route.method))],
        allowHeaders: [...API_CORS.allowHeaders],
        exposeHeaders: [...API_CORS.exposeHeaders],
        allowCredentials: false,
        maxAge: Duration.seconds(API_CORS.maxAgeSeconds),
      },
    });
    this.url = this.api.url;
    // Execution logs (errors) go to a group made here, with retention and encryption, rather
    // than to one API Gateway would create unencrypted and kept forever.
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
      retention: logRetention,
      encryptionKey: this.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowCloudWatchLogsToUse(this.logKey, 'API-Gateway-Execution-Logs_*');
    this.api.deploymentStage.node.addDependency(executionLogs);

    this.authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [this.userPool],
      identitySource: apigw.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
    });
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The handlers check every field; here API Gateway only refuses a body that is not a JSON object.
    const jsonObject = this.api.addModel('JsonObject', {
      contentType: 'application/json',
      schema: { schema: apigw.JsonSchemaVersion.DRAFT4, type: apigw.JsonSchemaType.OBJECT },
    });

    for (const route of API_ROUTES) {
      const resource = this.api.root.resourceForPath(route.path);
      const required = route.auth === 'required';
      const method = resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(functions[route.operationId] as lambda.IFunction, { allowTestInvoke: false }),
        {
          operationName: route.operationId,
          requestValidator: validator,
          requestParameters: route.path.includes('{id}') ? { 'method.request.path.id': true } : undefined,
          requestModels:
            route.method === 'POST' || route.method === 'PATCH' ? { 'application/json': jsonObject } : undefined,
          ...(required
            ? { authorizationType: apigw.AuthorizationType.COGNITO, authorizer: this.authorizer }
            : { authorizationType: apigw.AuthorizationType.NONE }),
        },
      );
      Validations.of(method).acknowledge({
        id: GuardRule.lambdaPublicAccess,
        reason: `Only API Gateway may invoke the handler, and only for ${route.method} ${route.path} of this API (SourceArn); the rule cannot evaluate the Fn::Join that builds that ARN, and SourceAccount needs a literal account id an environment-agnostic synth lacks.`,
      });
      if (!required) {
        Validations.of(method).acknowledge(
          {
            id: NagRule.apiGatewayAuthorization,
            reason: `${route.method} ${route.path} serves public videos to anonymous viewers (DESIGN: HTTP API); the handler verifies a bearer token when one is sent and answers 401 to a bad one.`,
          },
          {
            id: NagRule.apiGatewayCognitoAuthorizer,
            reason: `${route.method} ${route.path} must answer anonymous viewers of public videos, so no authorizer runs; the handler checks the same user pool's tokens itself (JWKS through the Cognito endpoint).`,
          },
        );
      }
    }

    const corsOrigin = allowedOrigins.length === 1 ? `'${allowedOrigins[0]}'` : 'method.request.header.origin';
    for (const error of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(`${error.type.responseType}Response`, {
        type: error.type,
        statusCode: error.statusCode,
        responseHeaders: {
          // With several origins, API Gateway cannot pick among them: it echoes the caller's,
          // which lets any page read these error bodies (they hold no user data).
          'Access-Control-Allow-Origin': corsOrigin,
          'Access-Control-Expose-Headers': `'${API_CORS.exposeHeaders.join(', ')}'`,
          ...(allowedOrigins.length === 1 ? {} : { Vary: "'Origin'" }),
          ...error.headers,
        },
        templates: {
          'application/json': `{"error":{"code":"${error.code}","message":${error.message ?? '$context.error.messageString'}}}`,
        },
      });
    }

    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'FirewallAssociation', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    }
  }

  private createUserPool(selfSignUp: boolean): cognito.UserPool {
    const userPool = new cognito.UserPool(this, 'Users', {
      signInAliases: { email: true },
      autoVerify: { email: true },
      selfSignUpEnabled: selfSignUp,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      // Accounts own videos; losing the pool would orphan every one of them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(userPool).acknowledge(
      {
        id: NagRule.cognitoMfaRequired,
        reason:
          'MFA is optional (TOTP) by design: uploaders turn it on for their account; forcing it on every viewer who signs in to watch would lock out users without an authenticator app.',
      },
      {
        id: NagRule.cognitoPlusFeaturePlan,
        reason:
          'Threat protection needs the Plus feature plan, billed per monthly active user; the operator opts in (featurePlan) when the audience warrants the cost. Strong passwords and optional TOTP apply regardless.',
      },
    );
    return userPool;
  }

  private createHandler(
    route: RouteDefinition,
    props: UploadApiProps,
    options: { environment: Record<string, string>; logGroup: logs.ILogGroup; memorySize: number; timeout: Duration },
  ): nodejs.NodejsFunction {
    const name = pascal(route.operationId);
    const role = new iam.Role(this, `${name}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${route.method} ${route.path}: exactly the AWS calls its handler makes`,
    });
    const handler = new nodejs.NodejsFunction(this, name, {
      ...HANDLER_DEFAULTS,
      entry: join(API_HANDLERS_DIR, `${route.handlerFile}.ts`),
      description: `${route.method} ${route.path}: ${route.summary}`,
      memorySize: options.memorySize,
      timeout: options.timeout,
      logGroup: options.logGroup,
      role,
      vpc: props.cache.vpc,
      vpcSubnets: props.cache.subnets,
      securityGroups: [this.securityGroup],
      environment: options.environment,
    });
    options.logGroup.grantWrite(role);
    this.grantRouteAccess(route, role, props);
    return handler;
  }

  /** The role's permissions: its logs, its network interfaces, and exactly the calls of its route. */
  private grantRouteAccess(route: RouteDefinition, role: iam.Role, props: UploadApiProps): void {
    allowVpcAttachment(role);
    Validations.of(role).acknowledge({
      id: NagRule.iamWildcardResource,
      reason:
        'Lambda needs ec2:*NetworkInterface* to attach the function to its VPC and X-Ray needs PutTraceSegments/PutTelemetryRecords; neither service offers resource-level permissions for these calls (interface ids do not exist beforehand).',
    });
    const { access } = route;
    props.catalog.grantCalls(role, access.catalog);
    props.storage.grantUploadCalls(role, access.uploads);
    props.storage.grantMediaCalls(role, access.media);
    for (const [calls, bucket, prefix] of [
      [access.uploads, props.storage.uploadBucket, UPLOAD_PREFIX],
      [access.media, props.storage.mediaBucket, MEDIA_PREFIX],
    ] as const) {
      if (calls.length === 0) continue;
      Validations.of(role).acknowledge({
        id: nagObjectPrefixWildcard(bucket, prefix),
        reason: `Object keys are per video (${prefix}{id}/…) and unknown until a video exists; the grant names only the calls ${route.method} ${route.path} makes, under ${prefix} of this bucket.`,
      });
    }
    if (access.signingKey) props.signingKeys.grantReadCurrentSigningKey(role);
    if (access.webhooks) props.webhooks?.grantPublish(role);
    // verifiesTokens needs no IAM permission: the JWKS is public, reached through the Cognito endpoint.
  }
}
