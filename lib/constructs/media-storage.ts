import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type RouteAccess, UPLOAD_PART_CORS } from '../../lambda/api/routes';
import { PLAYER_EXPOSED_HEADERS } from '../../lambda/edge/cdn-rules';
import { GuardRule, NagRule, nagObjectPrefixWildcard } from '../checks';
import { DEFAULT_CONFIG } from '../config';
import { PlatformKey } from './platform-key';

/** Where uploads land in the upload bucket; the pipeline listens on this prefix only. */
export const UPLOAD_PREFIX = 'uploads/';

/** Where transcoded outputs land in the media bucket; the CDN serves this prefix. */
export const MEDIA_PREFIX = 'v/';

/** An S3 call a handler makes on the upload bucket (see `RouteAccess`). */
export type UploadCall = RouteAccess['uploads'][number];
/** An S3 call a handler makes on the media bucket (see `RouteAccess`). */
export type MediaCall = RouteAccess['media'][number];

/**
 * The object actions each call needs. Presigning `UploadPart` signs with the caller's role, so
 * the URL works only if the role may `PutObject`. `DeleteByPrefix` also lists the prefix.
 */
const OBJECT_ACTIONS: Readonly<Record<UploadCall, readonly string[]>> = {
  CreateMultipartUpload: ['s3:PutObject'],
  PresignUploadPart: ['s3:PutObject'],
  CompleteMultipartUpload: ['s3:PutObject'],
  ListParts: ['s3:ListMultipartUploadParts'],
  AbortMultipartUpload: ['s3:AbortMultipartUpload'],
  HeadObject: ['s3:GetObject'],
  DeleteByPrefix: ['s3:DeleteObject'],
};

export interface MediaStorageProps {
  /**
   * Origins that may PUT upload parts from a browser (CORS on the upload bucket).
   * @default - the `vod` setting's default, `allowedOrigins` (see docs/configuration.md)
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Days after which S3 aborts an unfinished multipart upload and deletes its parts.
   * @default - the `vod` setting's default, `abortIncompleteUploadAfterDays` (see docs/configuration.md)
   */
  readonly abortIncompleteUploadAfterDays?: number;
  /**
   * Days after which access logs are deleted from the log bucket.
   * @default - the `vod` setting's default, `accessLogExpirationDays` (see docs/configuration.md)
   */
  readonly accessLogExpirationDays?: number;
  /**
   * Days a deleted or overwritten object version stays recoverable.
   * @default 7
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * What happens to the buckets and their key when the stack is deleted. Videos are user data.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

function checkDays(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 3653) {
    throw new Error(`MediaStorage: ${name} must be a whole number of days from 1 to 3653, received ${value}`);
  }
  return value;
}

/**
 * The platform's S3 buckets: uploads (what users send), media (what viewers get) and logs.
 *
 * All private, public access blocked, TLS 1.2+ only, encrypted with a customer managed KMS key
 * (S3 Bucket Keys on, so KMS is called once per bucket key, not once per object), versioned with
 * short-lived noncurrent versions, and access-logged to the log bucket.
 */
export class MediaStorage extends Construct {
  /** Receives source files through presigned multipart uploads, under `uploads/`. */
  public readonly uploadBucket: s3.Bucket;
  /** Holds the transcoded outputs under `v/{id}/`; read only by CloudFront. */
  public readonly mediaBucket: s3.Bucket;
  /** Receives S3 server access logs and CloudFront access logs. */
  public readonly logBucket: s3.Bucket;
  /** Encrypts the upload and media buckets. */
  public readonly encryptionKey: PlatformKey;

  constructor(scope: Construct, id: string, props: MediaStorageProps = {}) {
    super(scope, id);
    const allowedOrigins = props.allowedOrigins ?? DEFAULT_CONFIG.allowedOrigins;
    if (allowedOrigins.length === 0) {
      throw new Error('MediaStorage: allowedOrigins must name at least one origin (or "*"), received []');
    }
    const abortAfter = checkDays(
      'abortIncompleteUploadAfterDays',
      props.abortIncompleteUploadAfterDays ?? DEFAULT_CONFIG.abortIncompleteUploadAfterDays,
    );
    const logExpiration = checkDays(
      'accessLogExpirationDays',
      props.accessLogExpirationDays ?? DEFAULT_CONFIG.accessLogExpirationDays,
    );
    const noncurrentExpiration = checkDays(
      'noncurrentVersionExpirationDays',
      props.noncurrentVersionExpirationDays ?? 7,
    );
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = new PlatformKey(this, 'Key', {
      description: 'Encrypts uploaded sources and transcoded media',
      removalPolicy,
    });

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      // Server access logs and CloudFront standard logs can only be written with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      // CloudFront standard logging writes through an ACL grant, so ACLs must stay possible.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [
        { id: 'expire-logs', expiration: Duration.days(logExpiration), noncurrentVersionExpiration: Duration.days(1) },
      ],
      removalPolicy,
    });
    Validations.of(this.logBucket).acknowledge(
      {
        id: NagRule.s3ServerAccessLogs,
        reason: 'This is the access log bucket; logging it to itself would loop.',
      },
      {
        id: GuardRule.s3ServerAccessLogging,
        reason: 'This is the access log bucket; logging it to itself would loop.',
      },
      {
        id: GuardRule.s3EventNotifications,
        reason: 'Nothing reacts to new log objects; they are read by log analytics on demand.',
      },
      { id: GuardRule.s3ObjectLock, reason: 'Logs expire by lifecycle rule; Object Lock would block the expiry.' },
      {
        id: GuardRule.s3KmsEncryption,
        reason: 'S3 server access logging and CloudFront standard logs require SSE-S3 on the target bucket.',
      },
    );

    const secureDefaults = {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: this.logBucket,
      removalPolicy,
    } satisfies s3.BucketProps;

    this.uploadBucket = new s3.Bucket(this, 'UploadBucket', {
      ...secureDefaults,
      serverAccessLogsPrefix: 's3/uploads/',
      cors: [
        {
          allowedMethods: UPLOAD_PART_CORS.allowedMethods.map((method) => method as s3.HttpMethods),
          allowedOrigins: [...allowedOrigins],
          allowedHeaders: [...UPLOAD_PART_CORS.allowedHeaders],
          exposedHeaders: [...UPLOAD_PART_CORS.exposedHeaders],
          maxAge: UPLOAD_PART_CORS.maxAgeSeconds,
        },
      ],
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(abortAfter) },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(noncurrentExpiration) },
      ],
    });

    this.mediaBucket = new s3.Bucket(this, 'MediaBucket', {
      ...secureDefaults,
      serverAccessLogsPrefix: 's3/media/',
      // Only CloudFront can reach this bucket. S3 must still answer the CORS preflights CloudFront
      // forwards with 200; which origins may read is decided by the CDN's response headers policy.
      cors: [
        {
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: ['*'],
          allowedHeaders: ['*'],
          exposedHeaders: PLAYER_EXPOSED_HEADERS,
          maxAge: 86_400,
        },
      ],
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(noncurrentExpiration) },
      ],
    });
    for (const bucket of [this.uploadBucket, this.mediaBucket]) {
      Validations.of(bucket).acknowledge({
        id: GuardRule.s3ObjectLock,
        reason: 'Owners must be able to delete their videos; Object Lock would keep them against the owner’s request.',
      });
    }
    Validations.of(this).acknowledge({
      id: 'Annotation::@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac',
      reason:
        'CloudFront may decrypt only on behalf of distributions of this account (aws:SourceArn condition); naming the one distribution would make the key, the bucket and the distribution depend on each other in a cycle.',
    });
    Validations.of(this.mediaBucket).acknowledge({
      id: GuardRule.s3EventNotifications,
      reason: 'Outputs are written by the transcoder, whose job events (not S3 events) drive the catalog.',
    });
  }

  /**
   * Lets the grantee sign multipart uploads of sources under `uploads/`, list their parts (to
   * resume) and abort them; with the key, since S3 encrypts each part under it.
   */
  public grantWriteUploads(grantee: iam.IGrantable): iam.Grant {
    this.encryptionKey.grantEncryptDecrypt(grantee);
    return this.grantObjects(grantee, this.uploadBucket, UPLOAD_PREFIX, [
      's3:PutObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
    ]);
  }

  /** Lets the grantee read uploaded sources (the transcoder): GetObject under `uploads/`, no listing. */
  public grantReadUploads(grantee: iam.IGrantable): iam.Grant {
    this.encryptionKey.grantDecrypt(grantee);
    return this.grantObjects(grantee, this.uploadBucket, UPLOAD_PREFIX, ['s3:GetObject']);
  }

  /** Lets the grantee write transcoded outputs under `v/` (single or multipart PUTs). */
  public grantWriteMedia(grantee: iam.IGrantable): iam.Grant {
    // A multipart write generates data keys and decrypts them to complete; nothing else.
    this.encryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    return this.grantObjects(grantee, this.mediaBucket, MEDIA_PREFIX, ['s3:PutObject', 's3:AbortMultipartUpload']);
  }

  /**
   * Acknowledges the wildcard finding of `grantReadUploads` on the role of `who`: source keys are
   * per video and unknown beforehand, and the grant covers `uploads/` only.
   */
  public acknowledgeUploadReads(role: iam.IRole, who: string): void {
    Validations.of(role).acknowledge({
      id: nagObjectPrefixWildcard(this.uploadBucket, UPLOAD_PREFIX),
      reason: `Sources are per video (uploads/{id}/source), unknown until uploaded; ${who} may only read objects under uploads/.`,
    });
  }

  /** Acknowledges the wildcard finding of `grantWriteMedia`, as `acknowledgeUploadReads` for `v/`. */
  public acknowledgeMediaWrites(role: iam.IRole, who: string): void {
    Validations.of(role).acknowledge({
      id: nagObjectPrefixWildcard(this.mediaBucket, MEDIA_PREFIX),
      reason: `Outputs are per video (v/{id}/…), unknown until a job runs; ${who} may only write objects under v/.`,
    });
  }

  /**
   * Lets the grantee make exactly the given calls on sources under `uploads/`; with the key to
   * write them when a call writes (S3 encrypts each part under a data key it must also decrypt
   * to complete the upload). Nothing is granted for an empty list.
   */
  public grantUploadCalls(grantee: iam.IGrantable, calls: readonly UploadCall[]): iam.Grant[] {
    return this.grantCalls(grantee, this.uploadBucket, UPLOAD_PREFIX, calls);
  }

  /** Lets the grantee make exactly the given calls on outputs under `v/` (deleting a video's outputs). */
  public grantMediaCalls(grantee: iam.IGrantable, calls: readonly MediaCall[]): iam.Grant[] {
    return this.grantCalls(grantee, this.mediaBucket, MEDIA_PREFIX, calls);
  }

  private grantCalls(
    grantee: iam.IGrantable,
    bucket: s3.IBucket,
    prefix: string,
    calls: readonly UploadCall[],
  ): iam.Grant[] {
    for (const call of calls) {
      if (!(call in OBJECT_ACTIONS)) {
        throw new Error(
          `MediaStorage: expected S3 calls among ${Object.keys(OBJECT_ACTIONS).join(', ')}, received "${call}"`,
        );
      }
    }
    const actions = [...new Set(calls.flatMap((call) => OBJECT_ACTIONS[call]))];
    if (actions.length === 0) return [];
    const grants = [this.grantObjects(grantee, bucket, prefix, actions)];
    if (calls.includes('DeleteByPrefix')) {
      // Finding what to delete needs a listing, limited to keys under the prefix.
      grants.push(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['s3:ListBucket'],
          resourceArns: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': `${prefix}*` } },
        }),
      );
    }
    if (actions.includes('s3:PutObject')) {
      grants.push(this.encryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt'));
    }
    return grants;
  }

  // Object-level actions under one prefix only. Bucket.grant* would add bucket-wide listing and
  // object lock, tagging and ACL actions that no handler here calls.
  private grantObjects(grantee: iam.IGrantable, bucket: s3.IBucket, prefix: string, actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [bucket.arnForObjects(`${prefix}*`)] });
  }
}
