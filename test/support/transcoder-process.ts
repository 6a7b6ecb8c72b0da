import { S3Client } from '@aws-sdk/client-s3';
import type { TranscodeRequest } from '../../lambda/core/ports';
import { FfmpegTranscoder } from '../../local/transcoder/ffmpeg-transcoder';

/**
 * A transcoder in a process of its own, for tests that kill that process outright (as SIGKILL
 * or a crash ends the twin): `node --import tsx test/support/transcoder-process.ts`, with its
 * settings as JSON in TRANSCODER_PROCESS. It submits the request, prints `accepted <job id>` and
 * stays up until killed; it prints each job event's status as `event <job id> <status>`.
 */

export interface TranscoderProcessSettings {
  readonly s3Endpoint: string;
  readonly region: string;
  readonly uploadBucket: string;
  readonly mediaBucket: string;
  readonly workDirectory: string;
  readonly journalDirectory: string;
  readonly request: TranscodeRequest;
}

export const TRANSCODER_PROCESS_ENV = 'TRANSCODER_PROCESS';

async function main(): Promise<void> {
  const settings = JSON.parse(process.env[TRANSCODER_PROCESS_ENV] ?? '') as TranscoderProcessSettings;
  const s3 = new S3Client({
    region: settings.region,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    endpoint: settings.s3Endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const transcoder = new FfmpegTranscoder({
    s3,
    uploadBucket: settings.uploadBucket,
    mediaBucket: settings.mediaBucket,
    workDirectory: settings.workDirectory,
    journalDirectory: settings.journalDirectory,
    onJobEvent: async (event) => {
      process.stdout.write(`event ${event.detail.jobId} ${event.detail.status}\n`);
    },
  });
  await transcoder.resume();
  const { jobId } = await transcoder.submit(settings.request);
  process.stdout.write(`accepted ${jobId}\n`);
  setInterval(() => undefined, 60_000);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
    process.exit(1);
  });
}
