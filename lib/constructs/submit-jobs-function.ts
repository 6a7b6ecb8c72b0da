import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as mediaconvert from 'aws-cdk-lib/aws-mediaconvert';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SUBMIT_LIMITS } from '../../lambda/transcode/environment';
import { nagWildcardArn } from '../checks';
import type { MediaStorage } from './media-storage';
import { handlerEntry, PlatformFunction } from './platform-function';
import type { VideoCatalog } from './video-catalog';

/** MediaInfo's WebAssembly file, shipped beside the submit function's bundle. */
export const MEDIA_INFO_WASM = 'MediaInfoModule.wasm';

/** mediainfo.js's build for Node (ES module), from the project root, where esbuild runs. */
const MEDIA_INFO_NODE_BUILD = './node_modules/mediainfo.js/dist/esm/index.js';

/** The submit function's memory: room for MediaInfo probing a source that is not a video. */
export const SUBMIT_MEMORY_MB = 1024;

export interface SubmitJobsFunctionProps {
  /** Sources are read from its upload bucket; the job writes to its media bucket. */
  readonly storage: MediaStorage;
  /** The catalog whose videos the function claims a job for. */
  readonly catalog: VideoCatalog;
  /** S3's notifications of new sources, consumed in batches. */
  readonly uploadQueue: sqs.IQueue;
  /** The queue the jobs are created in. */
  readonly mediaConvertQueue: mediaconvert.CfnQueue;
  /** The role the jobs run as; the function passes it to MediaConvert. */
  readonly mediaConvertRole: iam.Role;
  /** What the handler reads from its environment (written by `submitEnvironment`), and its Powertools names. */
  readonly environment: Readonly<Record<string, string>>;
  /** Encrypts the function's logs. */
  readonly logKey: kms.Key;
  /**
   * How long its logs are kept.
   * @default - the `vod` setting's default, `logRetentionDays` (see docs/configuration.md)
   */
  readonly logRetention?: logs.RetentionDays;
  /** Most functions running at once (SQS event source maximum concurrency). */
  readonly maxConcurrency: number;
}

/**
 * Submit: each S3 notification of a new source becomes one MediaConvert job. The function reads
 * the source's index (MediaInfo, bundled beside it), claims the job on the video record and
 * creates the job in the platform's queue, from outside the VPC (MediaConvert has no VPC endpoint).
 */
export class SubmitJobsFunction extends PlatformFunction {
  constructor(scope: Construct, id: string, props: SubmitJobsFunctionProps) {
    super(scope, id, {
      entry: handlerEntry('transcode', 'submit-jobs'),
      bundling: {
        // The probe's MediaInfo: its Node build, named by path (the `module` condition would pick
        // its browser-only build, which cannot read the WebAssembly file; the `node` condition
        // instead would pick every package's CommonJS build, 150 KiB more), and that file beside
        // the bundle.
        esbuildArgs: { '--alias:mediainfo.js': MEDIA_INFO_NODE_BUILD },
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            `cp "${inputDir}/node_modules/mediainfo.js/dist/${MEDIA_INFO_WASM}" "${outputDir}/${MEDIA_INFO_WASM}"`,
          ],
        },
      },
      description: 'Starts the MediaConvert job of each uploaded source, once',
      roleDescription: 'Starts transcoding jobs for uploaded sources',
      logKey: props.logKey,
      logName: 'submit',
      logRetention: props.logRetention,
      // MediaInfo's WebAssembly memory grows far more on a file it cannot recognise than on a video
      // (measured: 16 MiB of random bytes took a process from 97 to 398 MiB, a 20 s 1080p MP4 by
      // 40 MiB), and an uploader chooses what the probe reads. One call per upload: cheap headroom.
      memorySize: SUBMIT_MEMORY_MB,
      timeout: Duration.seconds(SUBMIT_LIMITS.timeoutSeconds),
      environment: props.environment,
      outsideVpcReason:
        'MediaConvert offers no VPC endpoint and the platform VPC has no NAT by design; this function reads DynamoDB and S3 by IAM only and touches no private resource.',
    });
    const { storage, catalog } = props;
    const role = this.executionRole;
    const stack = Stack.of(this);
    catalog.grantCalls(role, ['GetItem', 'UpdateItem']);
    storage.grantReadUploads(role);
    props.uploadQueue.grantConsumeMessages(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['mediaconvert:CreateJob'],
        // CreateJob authorizes on the new job and on the queue it names.
        resources: [
          props.mediaConvertQueue.attrArn,
          stack.formatArn({ service: 'mediaconvert', resource: 'jobs', resourceName: '*' }),
        ],
      }),
    );
    props.mediaConvertRole.grantPassRole(role);
    this.addEventSource(
      new lambdaEvents.SqsEventSource(props.uploadQueue, {
        batchSize: SUBMIT_LIMITS.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
    storage.acknowledgeUploadReads(role, 'the submit function (reading a source’s index)');
    Validations.of(role).acknowledge({
      id: nagWildcardArn(stack, 'mediaconvert', 'jobs/*'),
      reason:
        'CreateJob authorizes on the job it creates, whose id does not exist beforehand; the job must also name this construct’s queue, granted by ARN.',
    });
  }
}
