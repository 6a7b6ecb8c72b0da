import * as z from 'zod';
import { VIDEO_ID_PATTERN } from './playback-token';

/**
 * Every shape the API reads or writes. Requests are validated with these schemas, and the
 * OpenAPI document (`npm run openapi`) is generated from them: there is no second copy.
 */

/**
 * No control characters (they break logs and terminals) and no lone surrogates (not valid
 * Unicode: DynamoDB would refuse the write with a 5xx-looking error).
 */
const NO_CONTROL_CHARACTERS = /^[^\p{Cc}\p{Cs}]*$/u;
/** Descriptions may hold line breaks and tabs, but no other control characters. */
const TEXT_WITH_LINE_BREAKS = /^(?:[\t\n\r]|[^\p{Cc}\p{Cs}])*$/u;
/** A file name, not a path: no separators, no control characters. */
const FILE_NAME = /^[^/\\\p{Cc}\p{Cs}]+$/u;
/** A media type such as `video/mp4`; whether it is allowed is configuration (415). */
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}$/;

export const S3_MAX_PARTS = 10_000;

export const VideoIdSchema = z
  .string()
  .regex(VIDEO_ID_PATTERN)
  .meta({ description: 'A video id: 1 to 64 letters, digits, `-` or `_`.' });
export const VisibilitySchema = z.enum(['public', 'private']);
export const VideoStatusSchema = z.enum(['UPLOADING', 'PROCESSING', 'READY', 'FAILED']);
const TitleSchema = z.string().min(1).max(200).regex(NO_CONTROL_CHARACTERS);
const DescriptionSchema = z.string().max(5000).regex(TEXT_WITH_LINE_BREAKS);
const TimestampSchema = z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

export const CreateVideoRequestSchema = z
  .strictObject({
    title: TitleSchema,
    description: DescriptionSchema.optional(),
    visibility: VisibilitySchema,
    fileName: z.string().min(1).max(255).regex(FILE_NAME),
    contentType: z.string().regex(MEDIA_TYPE).meta({ description: 'A video type from the configured allow-list' }),
    sizeBytes: z.int().min(1).meta({ description: 'The file size, at most the configured maximum' }),
  })
  .meta({ id: 'CreateVideoRequest' });

export const UpdateVideoRequestSchema = z
  .strictObject({
    title: TitleSchema.optional(),
    description: DescriptionSchema.optional(),
    visibility: VisibilitySchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one of title, description, visibility' })
  .meta({ id: 'UpdateVideoRequest' });

export const CompleteUploadRequestSchema = z
  .strictObject({
    parts: z
      .array(
        z.strictObject({
          partNumber: z.int().min(1).max(S3_MAX_PARTS),
          etag: z.string().min(1).max(128).regex(NO_CONTROL_CHARACTERS),
        }),
      )
      .min(1)
      .max(S3_MAX_PARTS),
  })
  .meta({ id: 'CompleteUploadRequest' });

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
export const ListVideosQuerySchema = z
  .strictObject({
    limit: z
      .string()
      .regex(/^[1-9][0-9]{0,2}$/)
      .optional()
      .meta({ description: `1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}` }),
    cursor: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional()
      .meta({ description: 'nextCursor of the previous page' }),
  })
  .meta({ id: 'ListVideosQuery' });

export const RenditionSchema = z.strictObject({
  width: z.int().min(1),
  height: z.int().min(1),
  bitrateKbps: z.int().min(1),
});

export const VideoSchema = z
  .strictObject({
    id: VideoIdSchema,
    ownerId: z.string(),
    title: z.string(),
    description: z.string(),
    visibility: VisibilitySchema,
    status: VideoStatusSchema,
    contentType: z.string(),
    sizeBytes: z.int(),
    durationSeconds: z.number().optional(),
    renditions: z.array(RenditionSchema).optional(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'Video' });

const PresignedPartSchema = z.strictObject({ partNumber: z.int(), url: z.url() });

export const CreateVideoResponseSchema = z
  .strictObject({
    video: VideoSchema,
    upload: z.strictObject({
      uploadId: z.string(),
      partSize: z.int().meta({ description: 'Bytes in every part but the last' }),
      partCount: z.int(),
      parts: z.array(PresignedPartSchema),
      expiresAt: TimestampSchema.meta({ description: 'When the part URLs expire; GET the upload for fresh ones' }),
    }),
  })
  .meta({ id: 'CreateVideoResponse' });

export const UploadStateResponseSchema = z
  .strictObject({
    uploadId: z.string(),
    partSize: z.int(),
    partCount: z.int(),
    uploadedParts: z.array(z.strictObject({ partNumber: z.int(), etag: z.string(), sizeBytes: z.int() })),
    parts: z.array(PresignedPartSchema).meta({ description: 'Fresh URLs for the parts not uploaded yet' }),
    expiresAt: TimestampSchema,
  })
  .meta({ id: 'UploadState' });

export const VideoResponseSchema = z.strictObject({ video: VideoSchema }).meta({ id: 'VideoResponse' });

export const VideoListResponseSchema = z
  .strictObject({ items: z.array(VideoSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'VideoList' });

export const PlaybackResponseSchema = z
  .strictObject({ hls: z.url(), mp4: z.url(), thumbnail: z.url(), expiresAt: TimestampSchema })
  .meta({ id: 'Playback' });

export const ErrorResponseSchema = z
  .strictObject({ error: z.strictObject({ code: z.string(), message: z.string() }) })
  .meta({ id: 'Error' });

export type Visibility = z.infer<typeof VisibilitySchema>;
export type VideoStatus = z.infer<typeof VideoStatusSchema>;
export type Rendition = z.infer<typeof RenditionSchema>;
export type Video = z.infer<typeof VideoSchema>;
export type CreateVideoRequest = z.infer<typeof CreateVideoRequestSchema>;
export type UpdateVideoRequest = z.infer<typeof UpdateVideoRequestSchema>;
export type CompleteUploadRequest = z.infer<typeof CompleteUploadRequestSchema>;
export type ListVideosQuery = z.infer<typeof ListVideosQuerySchema>;
export type CreateVideoResponse = z.infer<typeof CreateVideoResponseSchema>;
export type UploadStateResponse = z.infer<typeof UploadStateResponseSchema>;
export type PlaybackResponse = z.infer<typeof PlaybackResponseSchema>;
