import fc from 'fast-check';
import {
  FINAL_JOB_STATES,
  JOB_STATUSES,
  type MediaConvertOutputGroupDetail,
  parseJobStateEvent,
} from '../../lambda/transcode/job-state-event';
import { buildJobStateEvent, type JobStateFields } from '../../lambda/transcode/job-state-event-builder';

/**
 * The builder (used by the twin's transcoder, the tests and the benchmarks) and the parser (used by
 * the deployed handler) agree: whatever event the builder makes, the parser reads back the job it
 * was built for, as JSON on the bus would carry it.
 */

const RUNS = { numRuns: 300 };

/** Any moment from 1970 to 9999, the years an ISO 8601 date writes in four digits. */
const moment = fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z') });

const origin = fc.record(
  {
    accountId: fc.stringMatching(/^\d{12}$/),
    region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
    queueArn: fc.stringMatching(/^arn:aws:mediaconvert:[a-z0-9-]{1,20}:\d{12}:queues\/[A-Za-z0-9_-]{1,40}$/),
  },
  { requiredKeys: ['accountId', 'region'] },
);

const outputDetail = fc.record(
  {
    outputFilePaths: fc.array(fc.webUrl(), { maxLength: 2 }),
    durationInMs: fc.nat({ max: 86_400_000 }),
    videoDetails: fc.record(
      { widthInPx: fc.nat(8192), heightInPx: fc.nat(8192), averageBitrate: fc.nat() },
      { requiredKeys: ['widthInPx', 'heightInPx'] },
    ),
  },
  { requiredKeys: ['outputFilePaths', 'videoDetails'] },
);

const outputGroup: fc.Arbitrary<MediaConvertOutputGroupDetail> = fc.record(
  {
    type: fc.constantFrom('HLS_GROUP' as const, 'FILE_GROUP' as const),
    playlistFilePaths: fc.array(fc.webUrl(), { maxLength: 1 }),
    outputDetails: fc.array(outputDetail, { maxLength: 5 }),
  },
  { requiredKeys: ['type', 'outputDetails'] },
);

const fields: fc.Arbitrary<JobStateFields> = fc.record(
  {
    jobId: fc.oneof(fc.stringMatching(/^\d{13}-[a-z0-9]{6}$/), fc.string({ minLength: 1, maxLength: 200 })),
    status: fc.constantFrom(...JOB_STATUSES),
    userMetadata: fc.record(
      { videoId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), uploadId: fc.string({ maxLength: 100 }) },
      { requiredKeys: [] },
    ),
    outputGroupDetails: fc.array(outputGroup, { maxLength: 4 }),
    errorCode: fc.integer({ min: 1000, max: 1999 }),
    errorMessage: fc.string({ unit: 'binary', maxLength: 200 }),
  },
  { requiredKeys: ['jobId', 'status'] },
);

/** The longest output, in seconds, as the parser reports it: none when no output has a duration. */
function longestSeconds(groups: readonly MediaConvertOutputGroupDetail[] | undefined): number | undefined {
  const durations = (groups ?? []).flatMap((group) => group.outputDetails.map((output) => output.durationInMs ?? 0));
  const longest = Math.max(0, ...durations);
  return longest > 0 ? longest / 1000 : undefined;
}

const isFinal = (status: string) => (FINAL_JOB_STATES as readonly string[]).includes(status);

describe('buildJobStateEvent read back by parseJobStateEvent', () => {
  it('gives back the job id, status, video, upload, outputs’ duration and error of every final state it builds', () => {
    fc.assert(
      fc.property(
        origin,
        fields.filter((built) => isFinal(built.status)),
        moment,
        (where, job, at) => {
          // Prepare: the event as it would arrive, through JSON.
          const event = JSON.parse(JSON.stringify(buildJobStateEvent(where, job, at)));

          // Act
          const parsed = parseJobStateEvent(event);

          // Assess
          expect(parsed).toEqual({
            change: {
              jobId: job.jobId,
              status: job.status,
              videoId: job.userMetadata?.videoId,
              uploadId: job.userMetadata?.uploadId,
              durationSeconds: longestSeconds(job.outputGroupDetails),
              errorCode: job.errorCode === undefined ? undefined : String(job.errorCode),
              errorMessage: job.errorMessage,
            },
          });
        },
      ),
      RUNS,
    );
  });

  it('leaves every state that is not final to be ignored, naming the job', () => {
    fc.assert(
      fc.property(
        origin,
        fields.filter((built) => !isFinal(built.status)),
        (where, job) => {
          const parsed = parseJobStateEvent(buildJobStateEvent(where, job));
          expect(parsed).toEqual({ ignored: expect.stringContaining(`job ${job.jobId} is ${job.status}`) });
        },
      ),
      RUNS,
    );
  });

  it('dates the event to the second and names the job in its resources and its queue', () => {
    fc.assert(
      fc.property(origin, fields, moment, (where, job, at) => {
        const event = buildJobStateEvent(where, job, at);
        expect(event.time).toBe(`${at.toISOString().slice(0, 19)}Z`);
        expect(event.detail.timestamp).toBe(at.getTime());
        expect(event.resources).toEqual([`arn:aws:mediaconvert:${where.region}:${where.accountId}:jobs/${job.jobId}`]);
        expect(event.detail.queue).toBe(
          where.queueArn ?? `arn:aws:mediaconvert:${where.region}:${where.accountId}:queues/Default`,
        );
      }),
      RUNS,
    );
  });
});
