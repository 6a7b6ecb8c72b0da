import fc from 'fast-check';
import { VIDEO_ID_PATTERN } from '../../lambda/core/playback-token';
import { failureReason, type JobStateChange, videoIdOfSourceKey } from '../../lambda/core/transcoding';
import { sourceKey } from '../../lambda/core/upload-plan';
import { FINAL_JOB_STATES, parseJobStateEvent } from '../../lambda/transcode/job-state-event';
import { parseUploadNotification } from '../../lambda/transcode/upload-notification';
import { s3EncodeKey } from './support';

/** Properties of the pipeline's parsers: whatever a queue or a bus hands them, they answer and never throw. */

const RUNS = { numRuns: 300 };

/** Any text, including control characters and astral code points. */
const anyText = fc.string({ unit: 'binary', maxLength: 200 });
/** A key S3 could hold: 1 to 1024 bytes of well-formed text. */
const anyKey = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 120 })
  .filter((key) => Buffer.byteLength(key) <= 1024);
const videoId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

const eventName = fc.oneof(
  fc.constantFrom(
    'ObjectCreated:Put',
    'ObjectCreated:Post',
    'ObjectCreated:Copy',
    'ObjectCreated:CompleteMultipartUpload',
    'ObjectRemoved:Delete',
    'ObjectRemoved:DeleteMarkerCreated',
    'ObjectRestore:Completed',
    'ObjectCreated',
    'objectcreated:put',
  ),
  anyText,
);

/** Something shaped like one record of an S3 notification, or slightly (or wholly) not. */
const s3Record = fc.oneof(
  fc.record({
    eventSource: fc.oneof(fc.constant('aws:s3'), fc.constantFrom('aws:sqs', 'AWS:S3', '')),
    eventName,
    s3: fc.record({
      bucket: fc.record({ name: fc.oneof(fc.constant('uploads-bucket'), anyText) }),
      object: fc.record(
        {
          key: fc.oneof(anyKey.map(s3EncodeKey), anyText, fc.constant('%E0%A4%A'), fc.integer()),
          size: fc.oneof(fc.nat(), fc.integer(), fc.double()),
        },
        { requiredKeys: [] },
      ),
    }),
  }),
  fc.jsonValue({ maxDepth: 3 }),
);

const notificationBody = fc.oneof(
  fc.record({ Records: fc.array(s3Record, { maxLength: 6 }) }).map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.constantFrom(
    JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'uploads-bucket' }),
    '{"Records":null}',
    'null',
    '',
    '{',
    JSON.stringify({ Records: new Array(101).fill({}) }),
  ),
  anyText,
);

/** What S3 would count as a record of a created object: the pipeline's decision, restated. */
function isCreatedObjectRecord(record: unknown): boolean {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return false;
  const candidate = record as { eventSource?: unknown; eventName?: unknown; s3?: any };
  return (
    candidate.eventSource === 'aws:s3' &&
    typeof candidate.eventName === 'string' &&
    candidate.eventName.startsWith('ObjectCreated:') &&
    typeof candidate.s3?.bucket?.name === 'string' &&
    candidate.s3.bucket.name.length > 0 &&
    typeof candidate.s3?.object?.key === 'string' &&
    candidate.s3.object.key.length > 0 &&
    (candidate.s3.object.size === undefined ||
      (Number.isSafeInteger(candidate.s3.object.size) && candidate.s3.object.size >= 0))
  );
}

describe('parseUploadNotification', () => {
  it('answers every string without throwing: the objects created, or why the body is unreadable', () => {
    fc.assert(
      fc.property(fc.oneof(notificationBody, anyText), (body) => {
        const parsed = parseUploadNotification(body);
        if ('unreadable' in parsed) {
          expect(typeof parsed.unreadable).toBe('string');
          return;
        }
        for (const object of parsed.objects) {
          expect(typeof object.bucket).toBe('string');
          expect(typeof object.key).toBe('string');
        }
        expect(parsed.ignored.every((reason) => typeof reason === 'string' && reason.length <= 200)).toBe(true);
      }),
      RUNS,
    );
  });

  it('answers every JSON value without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        expect(() => parseUploadNotification(JSON.stringify(value) ?? 'undefined')).not.toThrow();
      }),
      RUNS,
    );
  });

  it('returns objects only from ObjectCreated records of S3, one per such record, and accounts for every other', () => {
    fc.assert(
      fc.property(fc.array(s3Record, { maxLength: 8 }), (records) => {
        const parsed = parseUploadNotification(JSON.stringify({ Records: records }));
        if ('unreadable' in parsed) throw new Error(`a notification was unreadable: ${parsed.unreadable}`);
        const created = records.filter(isCreatedObjectRecord) as { s3: { bucket: { name: string } } }[];
        // A created record whose key does not decode is ignored, not returned.
        expect(parsed.objects.length).toBeLessThanOrEqual(created.length);
        expect(parsed.objects.length + parsed.ignored.length).toBe(records.length);
        expect(parsed.objects.map((object) => object.bucket)).toEqual(
          created
            .filter((record: any) => {
              try {
                decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
                return true;
              } catch {
                return false;
              }
            })
            .map((record) => record.s3.bucket.name),
        );
      }),
      RUNS,
    );
  });

  it("gives back the very key S3 encoded (encodeURIComponent, spaces as '+'), slashes encoded or not", () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const plain = encodeURIComponent(key).replace(/%20/g, '+');
        for (const encoded of [plain, s3EncodeKey(key)]) {
          const body = JSON.stringify({
            Records: [
              {
                eventSource: 'aws:s3',
                eventName: 'ObjectCreated:CompleteMultipartUpload',
                s3: { bucket: { name: 'uploads-bucket' }, object: { key: encoded, size: 1 } },
              },
            ],
          });
          expect(parseUploadNotification(body)).toEqual({
            objects: [{ bucket: 'uploads-bucket', key }],
            ignored: [],
          });
        }
      }),
      RUNS,
    );
  });
});

/** Something shaped like MediaConvert's job state change event, or slightly (or wholly) not. */
const jobEvent = fc.oneof(
  fc.record(
    {
      source: fc.oneof(fc.constant('aws.mediaconvert'), anyText),
      'detail-type': fc.oneof(fc.constant('MediaConvert Job State Change'), anyText),
      detail: fc.oneof(
        fc.record(
          {
            status: fc.oneof(
              fc.constantFrom(
                'COMPLETE',
                'ERROR',
                'CANCELED',
                'PROGRESSING',
                'STATUS_UPDATE',
                'SUBMITTED',
                'INPUT_INFORMATION',
              ),
              anyText,
            ),
            jobId: fc.oneof(fc.stringMatching(/^[0-9]{13}-[a-z0-9]{6}$/), anyText),
            userMetadata: fc.oneof(
              fc.record({ videoId: fc.oneof(videoId, anyText), uploadId: anyText }, { requiredKeys: [] }),
              fc.dictionary(anyText, fc.jsonValue({ maxDepth: 1 })),
            ),
            errorCode: fc.oneof(fc.integer(), anyText, fc.jsonValue({ maxDepth: 1 })),
            errorMessage: fc.oneof(anyText, fc.jsonValue({ maxDepth: 1 })),
            outputGroupDetails: fc.oneof(
              fc.array(
                fc.record(
                  {
                    outputDetails: fc.array(
                      fc.record(
                        {
                          durationInMs: fc.oneof(fc.nat(), fc.integer(), fc.double({ noNaN: true }), anyText),
                          videoDetails: fc.record({ widthInPx: fc.nat(), heightInPx: fc.nat() }),
                        },
                        { requiredKeys: [] },
                      ),
                      { maxLength: 5 },
                    ),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 4 },
              ),
              fc.jsonValue({ maxDepth: 2 }),
            ),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue({ maxDepth: 3 }),
      ),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 5 }),
  fc.anything({ maxDepth: 3 }),
);

describe('parseJobStateEvent', () => {
  it('answers every value without throwing: a final state it acts on, or why it ignores the event', () => {
    fc.assert(
      fc.property(jobEvent, (event) => {
        const parsed = parseJobStateEvent(event);
        if ('ignored' in parsed) {
          expect(typeof parsed.ignored).toBe('string');
          expect(parsed.ignored.length).toBeLessThanOrEqual(300);
          return;
        }
        const { change } = parsed;
        expect(FINAL_JOB_STATES).toContain(change.status);
        expect(change.jobId.length).toBeGreaterThan(0);
        if (change.durationSeconds !== undefined) {
          expect(Number.isFinite(change.durationSeconds)).toBe(true);
          expect(change.durationSeconds).toBeGreaterThan(0);
        }
        for (const field of [change.videoId, change.uploadId, change.errorCode, change.errorMessage])
          expect(['string', 'undefined']).toContain(typeof field);
      }),
      RUNS,
    );
  });
});

describe('videoIdOfSourceKey', () => {
  const nearMisses = fc.oneof(
    videoId.map((id) => `uploads/${id}/source/`),
    videoId.map((id) => `/uploads/${id}/source`),
    videoId.map((id) => `Uploads/${id}/source`),
    videoId.map((id) => `uploads/${id}/Source`),
    videoId.map((id) => `uploads/${id}/other`),
    videoId.map((id) => `uploads/${id}/source\n`),
    videoId.map((id) => `uploads/${id}//source`),
    videoId.map((id) => `uploads/a/${id}/source`),
    fc.stringMatching(/^[A-Za-z0-9_-]{65,80}$/).map((id) => `uploads/${id}/source`),
    anyText.map((id) => `uploads/${id}/source`),
    fc.constantFrom('uploads//source', 'uploads/../source', 'uploads/./source', 'uploads/a b/source'),
    anyText,
  );

  it('accepts every upload source key of a valid id, and gives back that id', () => {
    fc.assert(
      fc.property(videoId, (id) => {
        expect(videoIdOfSourceKey(`uploads/${id}/source`)).toBe(id);
      }),
      RUNS,
    );
  });

  it('accepts nothing else: whatever it accepts is exactly uploads/{valid id}/source', () => {
    fc.assert(
      fc.property(nearMisses, (key) => {
        const id = videoIdOfSourceKey(key);
        const match = /^uploads\/([A-Za-z0-9_-]{1,64})\/source$/.exec(key);
        expect(id).toBe(match?.[1]);
        if (id !== undefined) {
          expect(VIDEO_ID_PATTERN.test(id)).toBe(true);
          expect(sourceKey(id)).toBe(key);
        }
      }),
      RUNS,
    );
  });
});

describe('failureReason', () => {
  const S3_URL = fc.tuple(anyText, anyText).map(([bucket, key]) => `s3://${bucket}/${key}`);
  /** Transcoder messages: text with s3:// URLs and control characters mixed in. */
  const message = fc
    .array(fc.oneof(anyText, S3_URL, fc.constantFrom('s3://', 's3:/', '\u0000', '\n', '\r\n', '\u007f', '\u0085')), {
      maxLength: 8,
    })
    .map((parts) => parts.join(''));
  const longMessage = fc.string({ unit: 'binary', minLength: 400, maxLength: 2000 });
  const status = fc.constantFrom<JobStateChange['status']>('ERROR', 'CANCELED', 'COMPLETE');
  /** As MediaConvert reports failures: a numeric error code (or none), and any message. */
  const reported = fc.record(
    {
      status,
      errorCode: fc.integer({ min: 1000, max: 1999 }).map(String),
      errorMessage: fc.oneof(message, longMessage),
    },
    { requiredKeys: ['status'] },
  );
  const expectReadable = (reason: string) => {
    expect(reason.length).toBeGreaterThan(0);
    expect(reason.length).toBeLessThanOrEqual(500);
    expect(reason).not.toMatch(/\p{Cc}/u);
    expect(reason).not.toContain('s3://');
  };

  it('is at most 500 characters, without control characters and without s3:// URLs, whatever the transcoder said', () => {
    fc.assert(
      fc.property(reported, (input) => expectReadable(failureReason(input))),
      { numRuns: 1000 },
    );
  });

  it('is just as clean when the error code is text, as the event parser accepts', () => {
    fc.assert(
      fc.property(
        fc.record(
          { status, errorCode: fc.oneof(anyText, S3_URL), errorMessage: message },
          { requiredKeys: ['status'] },
        ),
        (input) => expectReadable(failureReason(input)),
      ),
      { numRuns: 1000 },
    );
  });

  it('never cuts a character in half when it shortens a long message', () => {
    fc.assert(
      fc.property(reported, (input) => {
        const reason = failureReason(input);
        expect(reason).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a long message of emoji whole up to the cut', () => {
    // Prepare: 38 characters of prefix, then two UTF-16 units per emoji: the cut at 499 falls inside one.
    const errorMessage = '\u{1F3AC}'.repeat(300);

    // Act
    const reason = failureReason({ status: 'ERROR', errorMessage });

    // Assess
    expect(reason.startsWith('The source could not be transcoded: \u{1F3AC}')).toBe(true);
    expect(reason.endsWith('\u{1F3AC}…')).toBe(true);
  });
});
