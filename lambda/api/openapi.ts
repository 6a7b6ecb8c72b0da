import * as z from 'zod';
import { ERROR_STATUS } from '../core/errors';
import {
  CompleteUploadRequestSchema,
  CreateVideoRequestSchema,
  CreateVideoResponseSchema,
  ErrorResponseSchema,
  ListVideosQuerySchema,
  PlaybackResponseSchema,
  UpdateVideoRequestSchema,
  UploadStateResponseSchema,
  VideoIdSchema,
  VideoListResponseSchema,
  VideoResponseSchema,
} from '../core/schemas';
import { API_ROUTES } from './routes';

/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the zod schemas that
 * validate requests. `npm run openapi` writes it to `openapi.json`; a test keeps that file current.
 */

interface Exchange {
  readonly request?: z.ZodType;
  readonly query?: z.ZodObject;
  readonly success: { readonly status: number; readonly schema?: z.ZodType; readonly description: string };
  /** Error statuses the use case can answer besides 400/401/429/5xx, which every route may. */
  readonly errors: readonly number[];
}

const EXCHANGES: Record<string, Exchange> = {
  createVideo: {
    request: CreateVideoRequestSchema,
    success: { status: 201, schema: CreateVideoResponseSchema, description: 'Created; upload the parts' },
    errors: [413, 415],
  },
  listVideos: {
    query: ListVideosQuerySchema,
    success: { status: 200, schema: VideoListResponseSchema, description: "The caller's videos, newest first" },
    errors: [],
  },
  getVideo: {
    success: { status: 200, schema: VideoResponseSchema, description: 'The video' },
    errors: [304, 404],
  },
  updateVideo: {
    request: UpdateVideoRequestSchema,
    success: { status: 200, schema: VideoResponseSchema, description: 'The changed video' },
    errors: [403, 404, 415],
  },
  deleteVideo: { success: { status: 204, description: 'Deleted' }, errors: [403, 404] },
  getUpload: {
    success: { status: 200, schema: UploadStateResponseSchema, description: 'Parts so far, URLs for the rest' },
    errors: [304, 403, 404, 409],
  },
  abortUpload: { success: { status: 204, description: 'Aborted' }, errors: [403, 404, 409] },
  completeUpload: {
    request: CompleteUploadRequestSchema,
    success: { status: 202, schema: VideoResponseSchema, description: 'Accepted; the video is PROCESSING' },
    errors: [403, 404, 409, 413, 415],
  },
  getPlayback: {
    success: { status: 200, schema: PlaybackResponseSchema, description: 'Playback URLs with a path token' },
    errors: [304, 404, 409],
  },
};

const STATUS_TEXT: Record<number, string> = {
  304: 'Not modified (If-None-Match matched the ETag)',
  400: 'Malformed or invalid input',
  401: 'No token, or a bad one',
  403: 'Not the owner',
  404: 'No such video, or not visible to the caller',
  409: 'The video is not in a state that allows this',
  413: 'Too large',
  415: 'Unsupported content type',
  429: 'Rate limited; retry after Retry-After seconds',
  503: 'A dependency (storage or catalog) is unavailable; nothing was changed; retry after Retry-After seconds',
};

const ref = (schema: z.ZodType) => {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error('every schema in the document needs a registered id');
  return { $ref: `#/components/schemas/${id}` };
};
/** An inline JSON schema, without the `$schema` keyword OpenAPI does not want there. */
const inline = (schema: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema);
  return rest;
};
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema: ref(schema) } } });

export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  });
  for (const schema of Object.values(schemas)) delete (schema as { $schema?: string }).$schema;

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) {
    const exchange = EXCHANGES[route.operationId];
    if (!exchange) throw new Error(`no exchange described for ${route.operationId}`);
    const parameters: unknown[] = [];
    if (route.path.includes('{id}'))
      parameters.push({ name: 'id', in: 'path', required: true, schema: inline(VideoIdSchema) });
    if (exchange.query)
      for (const [name, schema] of Object.entries(exchange.query.shape))
        parameters.push({ name, in: 'query', required: false, schema: inline(schema as z.ZodType) });
    if (route.method === 'GET')
      parameters.push({ name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } });

    const responses: Record<string, unknown> = {
      [String(exchange.success.status)]: {
        description: exchange.success.description,
        ...(exchange.success.schema ? json(exchange.success.schema) : {}),
      },
    };
    const errors = new Set([400, 401, 429, 503, ...exchange.errors]);
    for (const status of [...errors].sort()) {
      responses[String(status)] =
        status === 304
          ? { description: STATUS_TEXT[304] }
          : { description: STATUS_TEXT[status], ...json(ErrorResponseSchema) };
    }
    const pathItem = paths[route.path] ?? {};
    paths[route.path] = pathItem;
    pathItem[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      security: route.auth === 'required' ? [{ userPool: [] }] : [{}, { userPool: [] }],
      parameters,
      ...(exchange.request ? { requestBody: { required: true, ...json(exchange.request) } } : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Video platform API',
      version,
      description: `Error codes: ${Object.entries(ERROR_STATUS)
        .map(([code, status]) => `${code} (${status})`)
        .join(', ')}.`,
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com/v1',
        variables: { apiId: { default: 'api' }, region: { default: 'eu-west-1' } },
      },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        userPool: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Cognito user pool ID token' },
      },
    },
  };
}
