import { ListPartsCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { sharedRuntime } from '../../lambda/api/runtime';
import { type ApiHarness, type ApiResponse, startApiHarness } from '../support/api-harness';
import { catalogOf, expectApiError, uploadedVideo, videoBody } from '../support/videos';

/**
 * S3 (the S3-compatible server) or DynamoDB (dynalite) is down: every route that needs it answers
 * 503 SERVICE_UNAVAILABLE with `Retry-After`, quickly, writes nothing half-way, and works again
 * once the server is back, without restarting the handlers. A bug of ours stays a 500.
 */

/** Far over what a refused connection and the SDK's short backoff take, far under the Lambda timeout. */
const OUTAGE_ANSWER_BUDGET_MS = 3_000;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => api.stop());

/** The names of the metrics the handlers count while `work` runs, and what it returned. */
async function metricsDuring<T>(work: () => Promise<T>): Promise<{ result: T; counted: string[] }> {
  const addMetric = jest.spyOn(sharedRuntime().metrics, 'addMetric');
  try {
    const result = await work();
    return { result, counted: addMetric.mock.calls.map(([name]) => name) };
  } finally {
    addMetric.mockRestore();
  }
}

function expectUnavailable(response: ApiResponse): void {
  expectApiError(response, 503, 'SERVICE_UNAVAILABLE');
  expect(response.headers['retry-after']).toBe('5');
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

/** The multipart uploads the handlers got from S3 while `work` ran. */
async function uploadsCreatedDuring(work: () => Promise<unknown>): Promise<{ key: string; uploadId: string }[]> {
  const create = jest.spyOn(sharedRuntime().deps.uploads, 'createMultipartUpload');
  try {
    await work();
    const settled = await Promise.allSettled(create.mock.results.map((result) => result.value as Promise<string>));
    return settled.flatMap((outcome, index) =>
      outcome.status === 'fulfilled' ? [{ key: create.mock.calls[index]?.[0] ?? '', uploadId: outcome.value }] : [],
    );
  } finally {
    create.mockRestore();
  }
}

describe('while the S3-compatible server is down', () => {
  it('answers 503 with Retry-After on every route that needs it, changes nothing, and recovers', async () => {
    const owner = 'sam';
    const { id, parts } = await uploadedVideo(api, owner, { title: 'Before the S3 outage' });
    const spare = (await uploadedVideo(api, owner, { title: 'Spare' })).id;
    const catalog = catalogOf(api);

    await api.servers.s3Server.stop();
    let during: { result: { result: ApiResponse; ms: number }[]; counted: string[] };
    try {
      during = await metricsDuring(() =>
        Promise.all([
          timed(() => api.call('createVideo', { as: owner, body: videoBody({ title: 'During the S3 outage' }) })),
          timed(() => api.call('getUpload', { as: owner, id })),
          timed(() => api.call('completeUpload', { as: owner, id, body: { parts } })),
          timed(() => api.call('abortUpload', { as: owner, id: spare })),
          timed(() => api.call('deleteVideo', { as: owner, id })),
        ]),
      );
    } finally {
      await api.servers.s3Server.start();
    }
    const afterOutage = await catalog.listByOwner(owner, 100);

    for (const { result } of during.result) expectUnavailable(result);
    expect(Math.max(...during.result.map(({ ms }) => ms))).toBeLessThan(OUTAGE_ANSWER_BUDGET_MS);
    expect(during.counted).toContain('DependencyUnavailable');
    expect(during.counted).not.toContain('ServerFault');
    expect(afterOutage.items.map((item) => [item.title, item.status]).sort()).toEqual([
      ['Before the S3 outage', 'UPLOADING'],
      ['Spare', 'UPLOADING'],
    ]);

    // The same handlers, the server back: the same calls go through.
    const resumed = await api.call('getUpload', { as: owner, id });
    const completed = await api.call('completeUpload', { as: owner, id, body: { parts } });
    const aborted = await api.call('abortUpload', { as: owner, id: spare });
    const created = await api.call('createVideo', { as: owner, body: videoBody({ title: 'After the S3 outage' }) });
    const deleted = await api.call('deleteVideo', { as: owner, id });

    expect(resumed.status).toBe(200);
    expect(resumed.body.uploadedParts).toHaveLength(1);
    expect(completed.status).toBe(202);
    expect(aborted.status).toBe(204);
    expect(created.status).toBe(201);
    expect(deleted.status).toBe(204);
    expect(await catalog.get(id)).toBeUndefined();
    expect((await catalog.get(spare))?.status).toBe('FAILED');
  });
});

describe('while the DynamoDB-compatible server is down', () => {
  it('answers 503 with Retry-After on every route that needs it, changes nothing, and recovers', async () => {
    const owner = 'dana';
    const { id, parts } = await uploadedVideo(api, owner, { title: 'Before the DynamoDB outage' });
    const catalog = catalogOf(api);

    await api.servers.dynamoServer.stop();
    let during: { result: { result: ApiResponse; ms: number }[]; counted: string[] } | undefined;
    let orphans: { key: string; uploadId: string }[] = [];
    try {
      orphans = await uploadsCreatedDuring(async () => {
        during = await metricsDuring(() =>
          Promise.all([
            timed(() => api.call('createVideo', { as: owner, body: videoBody({ title: 'During the outage' }) })),
            timed(() => api.call('listVideos', { as: owner })),
            timed(() => api.call('getVideo', { id: 'never-created-before' })),
            timed(() => api.call('updateVideo', { as: owner, id, body: { title: 'During the outage' } })),
            timed(() => api.call('getUpload', { as: owner, id })),
            timed(() => api.call('completeUpload', { as: owner, id, body: { parts } })),
            timed(() => api.call('abortUpload', { as: owner, id })),
            timed(() => api.call('deleteVideo', { as: owner, id })),
          ]),
        );
      });
    } finally {
      await api.servers.dynamoServer.start();
    }
    const afterOutage = await catalog.listByOwner(owner, 100);
    // createVideo reached S3 before the catalog: its upload must not outlive the failed call.
    const orphanParts = await Promise.all(
      orphans.map(({ key, uploadId }) =>
        api.servers.s3
          .send(new ListPartsCommand({ Bucket: api.servers.uploadBucket, Key: key, UploadId: uploadId }))
          .then(
            () => 'still open',
            (error: { name?: string }) => error.name,
          ),
      ),
    );

    for (const { result } of during?.result ?? []) expectUnavailable(result);
    expect(during?.result).toHaveLength(8);
    expect(Math.max(...(during?.result ?? []).map(({ ms }) => ms))).toBeLessThan(OUTAGE_ANSWER_BUDGET_MS);
    expect(during?.counted).toContain('DependencyUnavailable');
    expect(during?.counted).not.toContain('ServerFault');
    expect(afterOutage.items.map((item) => [item.id, item.title, item.status])).toEqual([
      [id, 'Before the DynamoDB outage', 'UPLOADING'],
    ]);
    expect(orphans).toHaveLength(1);
    expect(orphanParts).toEqual(['NoSuchUpload']);

    const created = await api.call('createVideo', { as: owner, body: videoBody({ title: 'After the outage' }) });
    const listed = await api.call('listVideos', { as: owner });
    const updated = await api.call('updateVideo', { as: owner, id, body: { title: 'After the outage' } });
    const completed = await api.call('completeUpload', { as: owner, id, body: { parts } });
    const deleted = await api.call('deleteVideo', { as: owner, id });

    expect(created.status).toBe(201);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(2);
    expect(updated.status).toBe(200);
    expect(completed.status).toBe(202);
    expect(completed.body.video.title).toBe('After the outage');
    expect(deleted.status).toBe(204);
  });
});

describe('a fault that is not an outage', () => {
  it('answers 500 INTERNAL_ERROR, without Retry-After, for any TypeError a port throws', async () => {
    const owner = 'tess';
    const { id } = await uploadedVideo(api, owner);
    const deps = sharedRuntime().deps;

    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.constantFrom('ECONNREFUSED', 'ETIMEDOUT', undefined),
        fc.constantFrom<'catalog' | 'uploads'>('catalog', 'uploads'),
        async (message, code, port) => {
          // A TypeError may even carry a network-looking code (Node's fetch does): still ours.
          const bug = Object.assign(new TypeError(message), code ? { code } : {});
          const failing =
            port === 'catalog'
              ? jest.spyOn(deps.catalog, 'get').mockRejectedValue(bug)
              : jest.spyOn(deps.uploads, 'listParts').mockRejectedValue(bug);
          try {
            const { result: response, counted } = await metricsDuring(() => api.call('getUpload', { as: owner, id }));
            expect({ status: response.status, body: response.body }).toEqual({
              status: 500,
              body: { error: { code: 'INTERNAL_ERROR', message: expect.any(String) } },
            });
            expect(response.headers['retry-after']).toBeUndefined();
            expect(counted).toContain('ServerFault');
            expect(counted).not.toContain('DependencyUnavailable');
          } finally {
            failing.mockRestore();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
