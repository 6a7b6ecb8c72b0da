/**
 * The API's routes: the one list that the CDK construct, the local twin's HTTP server and the
 * OpenAPI generator all read. It is data only (no handler code), so the CDK app can import it.
 *
 * `access` names every AWS call a route's handler makes; the `UploadApi` construct turns it
 * into that handler's IAM policy, so a role grants exactly what its handler calls.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteAccess {
  /** DynamoDB calls on the catalog table (`Query` runs on the owner index). */
  readonly catalog: readonly ('GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query')[];
  /**
   * S3 calls on the upload bucket, all under `uploads/`. Presigning `UploadPart` needs
   * `PutObject` (the URL is signed with the handler's role).
   */
  readonly uploads: readonly (
    | 'CreateMultipartUpload'
    | 'PresignUploadPart'
    | 'ListParts'
    | 'CompleteMultipartUpload'
    | 'AbortMultipartUpload'
    | 'HeadObject'
    | 'DeleteByPrefix'
  )[];
  /** S3 calls on the media bucket, all under `v/`. */
  readonly media: readonly 'DeleteByPrefix'[];
  /** Reads the playback signing key from Secrets Manager. */
  readonly signingKey: boolean;
  /**
   * Verifies a bearer token itself (fetching the user pool's JWKS) because API Gateway runs
   * no authorizer on this route.
   */
  readonly verifiesTokens: boolean;
  /** Publishes webhook events (`SendMessage` on the webhook queue, when webhooks are configured). */
  readonly webhooks: boolean;
}

export interface RouteDefinition {
  /** Names the route everywhere: handler file, Lambda function, OpenAPI operation. */
  readonly operationId: string;
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{id}` path parameters. */
  readonly path: string;
  /** The handler module under `lambda/api/`, without extension; it exports `handler`. */
  readonly handlerFile: string;
  /**
   * `required`: API Gateway's Cognito authorizer runs first. `optional`: no authorizer; anyone
   * may call, and the handler verifies a bearer token if one is sent (a bad one is 401).
   */
  readonly auth: 'required' | 'optional';
  /** Upload creation gets its own, tighter throttle. */
  readonly throttle: 'default' | 'uploadCreation';
  readonly summary: string;
  readonly access: RouteAccess;
}

const NONE: RouteAccess = {
  catalog: [],
  uploads: [],
  media: [],
  signingKey: false,
  verifiesTokens: false,
  webhooks: false,
};

export const API_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'createVideo',
    method: 'POST',
    path: '/videos',
    handlerFile: 'create-video',
    auth: 'required',
    throttle: 'uploadCreation',
    summary: 'Create a video and start its multipart upload',
    access: { ...NONE, catalog: ['PutItem'], uploads: ['CreateMultipartUpload', 'PresignUploadPart'] },
  },
  {
    operationId: 'listVideos',
    method: 'GET',
    path: '/videos',
    handlerFile: 'list-videos',
    auth: 'required',
    throttle: 'default',
    summary: "The caller's videos, newest first",
    access: { ...NONE, catalog: ['Query'] },
  },
  {
    operationId: 'getVideo',
    method: 'GET',
    path: '/videos/{id}',
    handlerFile: 'get-video',
    auth: 'optional',
    throttle: 'default',
    summary: 'One video; a private one only for its owner',
    access: { ...NONE, catalog: ['GetItem'], verifiesTokens: true },
  },
  {
    operationId: 'updateVideo',
    method: 'PATCH',
    path: '/videos/{id}',
    handlerFile: 'update-video',
    auth: 'required',
    throttle: 'default',
    summary: "Change a video's title, description or visibility",
    access: { ...NONE, catalog: ['GetItem', 'UpdateItem'] },
  },
  {
    operationId: 'deleteVideo',
    method: 'DELETE',
    path: '/videos/{id}',
    handlerFile: 'delete-video',
    auth: 'required',
    throttle: 'default',
    summary: 'Delete a video, its upload and its outputs',
    access: {
      ...NONE,
      catalog: ['GetItem', 'DeleteItem'],
      uploads: ['AbortMultipartUpload', 'DeleteByPrefix'],
      media: ['DeleteByPrefix'],
      webhooks: true,
    },
  },
  {
    operationId: 'getUpload',
    method: 'GET',
    path: '/videos/{id}/upload',
    handlerFile: 'get-upload',
    auth: 'required',
    throttle: 'default',
    summary: 'The parts uploaded so far and fresh URLs for the missing ones',
    access: { ...NONE, catalog: ['GetItem'], uploads: ['ListParts', 'PresignUploadPart'] },
  },
  {
    operationId: 'abortUpload',
    method: 'DELETE',
    path: '/videos/{id}/upload',
    handlerFile: 'abort-upload',
    auth: 'required',
    throttle: 'default',
    summary: 'Abort the upload',
    access: { ...NONE, catalog: ['GetItem', 'UpdateItem'], uploads: ['AbortMultipartUpload'] },
  },
  {
    operationId: 'completeUpload',
    method: 'POST',
    path: '/videos/{id}/upload/complete',
    handlerFile: 'complete-upload',
    auth: 'required',
    throttle: 'default',
    summary: 'Finish the upload and start processing',
    access: {
      ...NONE,
      catalog: ['GetItem', 'UpdateItem'],
      uploads: ['ListParts', 'CompleteMultipartUpload', 'HeadObject'],
    },
  },
  {
    operationId: 'getPlayback',
    method: 'GET',
    path: '/videos/{id}/playback',
    handlerFile: 'get-playback',
    auth: 'optional',
    throttle: 'default',
    summary: 'Playback URLs with a path token',
    access: { ...NONE, catalog: ['GetItem'], signingKey: true, verifiesTokens: true },
  },
];

/**
 * Environment variables the handlers read. The construct sets them in AWS; the local twin and
 * the tests set them to local servers. Names only: `lambda/api/settings.ts` parses the values.
 */
export const API_ENV = {
  tableName: 'CATALOG_TABLE_NAME',
  ownerIndexName: 'CATALOG_OWNER_INDEX_NAME',
  uploadBucket: 'UPLOAD_BUCKET_NAME',
  mediaBucket: 'MEDIA_BUCKET_NAME',
  cacheEndpoint: 'CACHE_ENDPOINT',
  cacheTls: 'CACHE_TLS',
  cacheTtlSeconds: 'CACHE_TTL_SECONDS',
  cdnBaseUrl: 'CDN_BASE_URL',
  signingKeySecretArn: 'SIGNING_KEY_SECRET_ARN',
  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  jwksUrl: 'JWKS_URL',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
  allowedContentTypes: 'ALLOWED_CONTENT_TYPES',
  uploadUrlTtlSeconds: 'UPLOAD_URL_TTL_SECONDS',
  publicPlaybackTtlSeconds: 'PUBLIC_PLAYBACK_TTL_SECONDS',
  privatePlaybackTtlSeconds: 'PRIVATE_PLAYBACK_TTL_SECONDS',
  /** Comma-separated origins allowed by CORS, or `*`. */
  allowedOrigins: 'ALLOWED_ORIGINS',
  /** The webhook delivery queue; unset when no receiver is configured. */
  webhookQueueUrl: 'WEBHOOK_QUEUE_URL',
} as const;

/** Where the handlers' logs and metrics go: the construct sets them, the handlers fall back to them. */
export const API_TELEMETRY = { serviceName: 'vod-api', metricsNamespace: 'VodPlatform' } as const;

/** CORS on the API: request headers browsers may send cross-origin, response headers they may read. */
export const API_CORS = {
  allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match'],
  exposeHeaders: ['ETag', 'Retry-After'],
  maxAgeSeconds: 3600,
} as const;

/**
 * CORS on the upload bucket: browsers PUT parts straight to presigned URLs and must read each
 * part's ETag. The `MediaStorage` construct sets it in AWS, the twin's S3-compatible server locally.
 */
export const UPLOAD_PART_CORS = {
  allowedMethods: ['PUT', 'HEAD'],
  allowedHeaders: ['content-type', 'content-length', 'content-md5', 'x-amz-*'],
  exposedHeaders: ['ETag'],
  maxAgeSeconds: 3600,
} as const;

/** The catalog table's key schema, shared by the construct and the DynamoDB adapter. */
export const CATALOG_SCHEMA = {
  partitionKey: 'id',
  ownerIndexName: 'byOwner',
  ownerIndexPartitionKey: 'ownerId',
  ownerIndexSortKey: 'createdAt',
} as const;
