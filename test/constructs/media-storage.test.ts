import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { MediaStorage } from '../../lib/constructs/media-storage';
import { synthesizeDefault } from '../support/synth';

const bucketWith = (props: Record<string, unknown>) => Match.objectLike(props);

describe('MediaStorage', () => {
  const { platformTemplate: template, platform } = synthesizeDefault();
  const uploadBucketId = platform.getLogicalId(platform.storage.uploadBucket.node.defaultChild as never);
  const mediaBucketId = platform.getLogicalId(platform.storage.mediaBucket.node.defaultChild as never);
  const logBucketId = platform.getLogicalId(platform.storage.logBucket.node.defaultChild as never);

  it('creates exactly three buckets: uploads, media and logs', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
  });

  it.each([
    ['upload', uploadBucketId],
    ['media', mediaBucketId],
    ['log', logBucketId],
  ])('blocks all public access to the %s bucket', (_name, logicalId) => {
    const bucket = template.toJSON().Resources[logicalId];

    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it.each([
    ['upload', uploadBucketId],
    ['media', mediaBucketId],
    ['log', logBucketId],
  ])('denies requests to the %s bucket without TLS 1.2', (_name, logicalId) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      },
    });
  });

  it.each([
    ['upload', uploadBucketId],
    ['media', mediaBucketId],
  ])('encrypts the %s bucket with the rotating customer managed key and S3 Bucket Keys', (_name, logicalId) => {
    const bucket = template.toJSON().Resources[logicalId];
    const keyId = platform.getLogicalId(platform.storage.encryptionKey.node.defaultChild as never);

    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      },
    ]);
    expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('encrypts the log bucket with S3-managed keys, the only kind log delivery can write', () => {
    const bucket = template.toJSON().Resources[logBucketId];

    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
  });

  it('logs access to the upload and media buckets into the log bucket', () => {
    for (const [logicalId, prefix] of [
      [uploadBucketId, 's3/uploads/'],
      [mediaBucketId, 's3/media/'],
    ] as const) {
      expect(template.toJSON().Resources[logicalId].Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: logBucketId },
        LogFilePrefix: prefix,
      });
    }
  });

  it('lets browsers PUT upload parts from the allowed origins and read their ETag', () => {
    const bucket = template.toJSON().Resources[uploadBucketId];

    expect(bucket.Properties.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({
        AllowedMethods: ['PUT', 'HEAD'],
        AllowedOrigins: ['*'],
        ExposedHeaders: ['ETag'],
      }),
    ]);
  });

  it('aborts incomplete multipart uploads after seven days', () => {
    template.hasResourceProperties(
      'AWS::S3::Bucket',
      bucketWith({
        CorsConfiguration: Match.anyValue(),
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' }),
          ]),
        },
      }),
    );
  });

  it('keeps buckets and their data when the stack is deleted', () => {
    for (const logicalId of [uploadBucketId, mediaBucketId, logBucketId]) {
      expect(template.toJSON().Resources[logicalId].DeletionPolicy).toBe('Retain');
    }
  });

  it('grants an uploader exactly the multipart calls on uploads/, with the key to encrypt', () => {
    // Prepare
    const stack = new Stack();
    const storage = new MediaStorage(stack, 'Storage');
    const role = new iam.Role(stack, 'Uploader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    storage.grantWriteUploads(role);

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: Match.arrayWith(['kms:Encrypt', 'kms:GenerateDataKey*']) }),
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
            Resource: {
              'Fn::Join': [
                '',
                [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^StorageUploadBucket'), 'Arn'] }, '/uploads/*'],
              ],
            },
          },
        ]),
      },
    });
  });

  it.each([
    ['reads sources', 'grantReadUploads', 'UploadBucket', '/uploads/*', 's3:GetObject'],
    ['writes outputs', 'grantWriteMedia', 'MediaBucket', '/v/*', 's3:PutObject'],
    ['uploads sources', 'grantWriteUploads', 'UploadBucket', '/uploads/*', 's3:ListMultipartUploadParts'],
  ] as const)('grants a transcoder that %s S3 access under its prefix only', (_what, grant, bucket, prefix, action) => {
    // Prepare
    const stack = new Stack();
    const storage = new MediaStorage(stack, 'Storage');
    const role = new iam.Role(stack, 'Transcoder', {
      assumedBy: new iam.ServicePrincipal('mediaconvert.amazonaws.com'),
    });

    // Act
    storage[grant](role);

    // Assess: every S3 statement names only objects under the prefix of the one bucket.
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    const statements: { Action: string | string[]; Resource: unknown }[] = policy?.Properties.PolicyDocument.Statement;
    const s3Statements = statements.filter((statement) => [statement.Action].flat().some((a) => a.startsWith('s3:')));
    expect(s3Statements.flatMap((statement) => [statement.Action].flat())).toContain(action);
    for (const statement of s3Statements) {
      for (const resource of [statement.Resource].flat()) {
        const [arn, suffix] = (resource as { 'Fn::Join': [string, [{ 'Fn::GetAtt': [string, string] }, string]] })[
          'Fn::Join'
        ][1];
        expect(arn['Fn::GetAtt'][0]).toMatch(new RegExp(`^Storage${bucket}`));
        expect(suffix).toBe(prefix);
      }
    }
  });

  describe('grants for exactly the S3 calls a handler makes', () => {
    function grantedFor(grant: (storage: MediaStorage, role: iam.Role) => void) {
      const stack = new Stack();
      const storage = new MediaStorage(stack, 'Storage');
      const role = new iam.Role(stack, 'Handler', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      grant(storage, role);
      const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
      return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement) as {
        Action: string | string[];
        Resource: any;
        Condition?: unknown;
      }[];
    }

    it.each([
      ['CreateMultipartUpload', 's3:PutObject'],
      ['PresignUploadPart', 's3:PutObject'],
      ['CompleteMultipartUpload', 's3:PutObject'],
      ['ListParts', 's3:ListMultipartUploadParts'],
      ['AbortMultipartUpload', 's3:AbortMultipartUpload'],
      ['HeadObject', 's3:GetObject'],
    ] as const)('maps %s to %s on uploads/* only', (call, action) => {
      const statements = grantedFor((storage, role) => storage.grantUploadCalls(role, [call]));

      const s3Statements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
      expect(s3Statements).toEqual([
        {
          Effect: 'Allow',
          Action: action,
          Resource: {
            'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageUploadBucket/), 'Arn'] }, '/uploads/*']],
          },
        },
      ]);
    });

    it('lets writers use the key for data keys and decrypt only, and readers not at all', () => {
      const writer = grantedFor((storage, role) => storage.grantUploadCalls(role, ['CreateMultipartUpload']));
      const reader = grantedFor((storage, role) => storage.grantUploadCalls(role, ['HeadObject', 'ListParts']));

      expect(
        writer
          .flatMap((s) => [s.Action].flat())
          .filter((a) => a.startsWith('kms:'))
          .sort(),
      ).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(reader.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('kms:'))).toEqual([]);
    });

    it('deletes by prefix with DeleteObject under the prefix and a listing limited to it', () => {
      const statements = grantedFor((storage, role) => storage.grantMediaCalls(role, ['DeleteByPrefix']));

      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:DeleteObject',
          Resource: {
            'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageMediaBucket/), 'Arn'] }, '/v/*']],
          },
        },
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StorageMediaBucket/), 'Arn'] },
          Condition: { StringLike: { 's3:prefix': 'v/*' } },
        },
      ]);
    });

    it('grants nothing for an empty list of calls', () => {
      expect(grantedFor((storage, role) => storage.grantUploadCalls(role, []))).toEqual([]);
    });
  });

  it('rejects an empty list of allowed origins, saying what it received', () => {
    expect(() => new MediaStorage(new Stack(), 'Storage', { allowedOrigins: [] })).toThrow(
      /allowedOrigins must name at least one origin.*received \[\]/,
    );
  });

  it('rejects a non-positive abort window, saying what it received', () => {
    expect(() => new MediaStorage(new Stack(), 'Storage', { abortIncompleteUploadAfterDays: 0 })).toThrow(
      /abortIncompleteUploadAfterDays must be a whole number of days from 1 to 3653, received 0/,
    );
  });
});
