import { CreateJobCommand, type MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import type { TranscodeRequest, Transcoder } from '../core/ports';
import { type OnFirstUse, resolve } from './lazy';
import { buildCreateJobInput, type MediaConvertJobOptions } from './mediaconvert-job';

export type MediaConvertTranscoderOptions = Omit<MediaConvertJobOptions, 'request'>;

/**
 * Starts MediaConvert jobs. The caller builds the client once per container (or on first use); without an endpoint
 * override the SDK calls the regional endpoint (`mediaconvert.{region}.amazonaws.com`), so there
 * is no DescribeEndpoints call (it is deprecated and throttled).
 */
export class MediaConvertTranscoder implements Transcoder {
  constructor(
    private readonly client: OnFirstUse<MediaConvertClient>,
    private readonly options: MediaConvertTranscoderOptions,
  ) {}

  async submit(request: TranscodeRequest): Promise<{ readonly jobId: string }> {
    const { Job } = await resolve(this.client).send(
      new CreateJobCommand(buildCreateJobInput({ ...this.options, request })),
    );
    if (!Job?.Id) throw new Error(`MediaConvert returned no job id for video ${request.videoId}`);
    return { jobId: Job.Id };
  }
}
