import { join } from 'node:path';
import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { API_CORS, API_ROUTES, API_TELEMETRY, type RouteDefinition } from '../../lambda/api/routes';
import { apiEnvironment } from '../../lambda/api/settings';
import { GuardRule, NagRule, nagObjectPrefixWildcard } from '../checks';
import { PROJECT_ROOT } from '../project-root';
import { ACCESS_LOG_FORMAT } from './api-access-log-format';
import { addGatewayResponses } from './api-gateway-responses';
import { createApiUserPool } from './api-user-pool';
import { EncryptedLogGroup, logGroupPrefix } from './encrypted-log-group';
import { MEDIA_PREFIX, UPLOAD_PREFIX } from './media-storage';
import { handlerSecurityGroup, PlatformFunction } from './platform-function';
import { allowCloudWatchLogs, PlatformKey } from './platform-key';
import { type ResolvedUploadApiProps, resolveUploadApiProps, type UploadApiProps } from './upload-api-props';

export type { ThrottleLimits, UploadApiProps } from './upload-api-props';

/** Where the handlers live: `lambda/api/<handlerFile>.ts`, each exporting `handler`. */
export const API_HANDLERS_DIR = join(PROJECT_ROOT, 'lambda', 'api');

const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

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
  public readonly functions: Readonly<Record<string, PlatformFunction>>;
  /** The security group the handlers run in; the cache and the interface endpoints let it in. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Encrypts the handlers' logs and the access logs. */
  public readonly logKey: PlatformKey;
  public readonly accessLogGroup: logs.LogGroup;
  /** The stage URL, such as `https://abc.execute-api.eu-west-1.amazonaws.com/v1/`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: UploadApiProps) {
    super(scope, id);
    const resolved = resolveUploadApiProps(props);
    const identity = this.createIdentity(props);
    this.userPool = identity.userPool;
    this.userPoolClient = identity.userPoolClient;
    // One key for the handlers' logs and the API's logs, usable only for this API's groups.
    this.logKey = new PlatformKey(this, 'LogKey', { description: `Encrypts the logs of ${logGroupPrefix(this)}` });
    this.securityGroup = this.createNetwork(props);
    this.functions = this.createRouteFunctions(props, resolved);
    this.accessLogGroup = new EncryptedLogGroup(this, 'AccessLogs', {
      name: 'access',
      encryptionKey: this.logKey,
      retention: resolved.logRetention,
    });
    this.api = this.createRestApi(resolved);
    this.url = this.api.url;
    this.addExecutionLogs(resolved);
    this.authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [this.userPool],
      identitySource: apigw.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
    });
    this.addRoutes();
    addGatewayResponses(this.api, resolved.allowedOrigins);
    if (props.webAclArn) this.associateFirewall(props.webAclArn);
  }

  /** Users and the tokens the API trusts: the given pool and client, or new ones. */
  private createIdentity(props: UploadApiProps): {
    userPool: cognito.IUserPool;
    userPoolClient: cognito.IUserPoolClient;
  } {
    if (props.userPool && props.userPoolClient) {
      return { userPool: props.userPool, userPoolClient: props.userPoolClient };
    }
    return createApiUserPool(this, props.selfSignUp ?? false);
  }

  /** The handlers' network: the cache's isolated subnets, reaching AWS only through endpoints. */
  private createNetwork(props: UploadApiProps): ec2.SecurityGroup {
    const group = handlerSecurityGroup(
      this,
      'SecurityGroup',
      props.cache.vpc,
      'API handlers: TLS to the cache and to AWS through VPC endpoints',
    );
    props.cache.allowClientsFrom(group);
    if (API_ROUTES.some((route) => route.access.signingKey)) {
      props.cache.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, group);
    }
    if (props.webhooks && API_ROUTES.some((route) => route.access.webhooks)) {
      props.cache.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.SQS, group);
    }
    if (API_ROUTES.some((route) => route.access.verifiesTokens)) {
      // The handlers without an authorizer fetch the pool's signing keys (JWKS) themselves.
      props.cache.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP, group);
    }
    return group;
  }

  /** One function per route of the route table, each with its own role and log group. */
  private createRouteFunctions(props: UploadApiProps, resolved: ResolvedUploadApiProps) {
    const environment = this.handlerEnvironment(props, resolved);
    const functions: Record<string, PlatformFunction> = {};
    for (const route of API_ROUTES) {
      const handler = new PlatformFunction(this, pascal(route.operationId), {
        entry: join(API_HANDLERS_DIR, `${route.handlerFile}.ts`),
        description: `${route.method} ${route.path}: ${route.summary}`,
        roleDescription: `Runs ${route.method} ${route.path}: exactly the AWS calls its handler makes`,
        logKey: this.logKey,
        logName: route.operationId,
        logRetention: resolved.logRetention,
        memorySize: resolved.memorySize,
        timeout: resolved.timeout,
        vpc: { vpc: props.cache.vpc, subnets: props.cache.subnets, securityGroup: this.securityGroup },
        environment,
      });
      this.grantRouteAccess(route, handler.executionRole, props);
      functions[route.operationId] = handler;
    }
    return functions;
  }

  /** What every handler reads from its environment (written by `apiEnvironment`), and its Powertools names. */
  private handlerEnvironment(props: UploadApiProps, resolved: ResolvedUploadApiProps): Record<string, string> {
    const issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    return {
      ...apiEnvironment({
        tableName: props.catalog.table.tableName,
        ownerIndexName: props.catalog.ownerIndexName,
        uploadBucket: props.storage.uploadBucket.bucketName,
        mediaBucket: props.storage.mediaBucket.bucketName,
        cacheEndpoint: props.cache.endpoint,
        // ElastiCache Serverless only accepts TLS.
        cacheTls: true,
        signingKeySecretArn: props.signingKeys.signingKeySecret.secretArn,
        jwt: { issuer, audience: this.userPoolClient.userPoolClientId, jwksUrl: `${issuer}/.well-known/jwks.json` },
        allowedOrigins: resolved.allowedOrigins,
        webhookQueueUrl: props.webhooks?.queue.queueUrl,
        policy: {
          maxUploadBytes: resolved.maxUploadBytes,
          allowedContentTypes: resolved.allowedContentTypes,
          uploadUrlTtlSeconds: resolved.uploadUrlTtlSeconds,
          publicPlaybackTtlSeconds: resolved.publicPlaybackTtlSeconds,
          privatePlaybackTtlSeconds: resolved.privatePlaybackTtlSeconds,
          cacheTtlSeconds: resolved.cacheTtlSeconds,
          cdnBaseUrl: props.cdnBaseUrl,
        },
      }),
      POWERTOOLS_SERVICE_NAME: API_TELEMETRY.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: API_TELEMETRY.metricsNamespace,
    };
  }

  /** The REST API and its stage: tracing, throttling, error-only execution logs, JSON access logs, CORS. */
  private createRestApi(resolved: ResolvedUploadApiProps): apigw.RestApi {
    const { stageName, throttle, uploadCreationThrottle, allowedOrigins } = resolved;
    return new apigw.RestApi(this, 'Api', {
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
        accessLogFormat: ACCESS_LOG_FORMAT,
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
  }

  /**
   * Execution logs (errors) go to a group made here, with retention and encryption, rather than
   * to one API Gateway would create unencrypted and kept forever. API Gateway names it.
   */
  private addExecutionLogs(resolved: ResolvedUploadApiProps): void {
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${resolved.stageName}`,
      retention: resolved.logRetention,
      encryptionKey: this.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowCloudWatchLogs(this.logKey, 'API-Gateway-Execution-Logs_*');
    this.api.deploymentStage.node.addDependency(executionLogs);
  }

  /** Each route's method on its own handler: validated, and authorized when the route needs a caller. */
  private addRoutes(): void {
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
      const handler = this.functions[route.operationId] as PlatformFunction;
      const method = this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, new apigw.LambdaIntegration(handler, { allowTestInvoke: false }), {
          operationName: route.operationId,
          requestValidator: validator,
          requestParameters: route.path.includes('{id}') ? { 'method.request.path.id': true } : undefined,
          requestModels:
            route.method === 'POST' || route.method === 'PATCH' ? { 'application/json': jsonObject } : undefined,
          ...(route.auth === 'required'
            ? { authorizationType: apigw.AuthorizationType.COGNITO, authorizer: this.authorizer }
            : { authorizationType: apigw.AuthorizationType.NONE }),
        });
      this.acknowledgeRoute(method, route);
    }
  }

  /** Why the checks' findings on a route's method are by design. */
  private acknowledgeRoute(method: apigw.Method, route: RouteDefinition): void {
    Validations.of(method).acknowledge({
      id: GuardRule.lambdaPublicAccess,
      reason: `Only API Gateway may invoke the handler, and only for ${route.method} ${route.path} of this API (SourceArn); the rule cannot evaluate the Fn::Join that builds that ARN, and SourceAccount needs a literal account id an environment-agnostic synth lacks.`,
    });
    if (route.auth === 'required') return;
    Validations.of(method).acknowledge(
      {
        id: NagRule.apiGatewayAuthorization,
        reason: `${route.method} ${route.path} serves public videos to anonymous viewers (docs/api.md, "Who may do what"); the handler verifies a bearer token when one is sent and answers 401 to a bad one.`,
      },
      {
        id: NagRule.apiGatewayCognitoAuthorizer,
        reason: `${route.method} ${route.path} must answer anonymous viewers of public videos, so no authorizer runs; the handler checks the same user pool's tokens itself (JWKS through the Cognito endpoint).`,
      },
    );
  }

  /** The API web ACL in front of the stage. */
  private associateFirewall(webAclArn: string): void {
    new wafv2.CfnWebACLAssociation(this, 'FirewallAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn,
    });
  }

  /** Beyond its logs, traces and network interfaces (PlatformFunction's), exactly the calls of its route. */
  private grantRouteAccess(route: RouteDefinition, role: iam.Role, props: UploadApiProps): void {
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
