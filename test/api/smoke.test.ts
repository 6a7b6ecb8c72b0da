import { type ApiHarness, startApiHarness, uploadParts } from '../support/api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness({ POWERTOOLS_LOG_LEVEL: 'ERROR' });
});
afterAll(async () => api.stop());

test('an uploader creates a video, uploads it in parts and completes it', async () => {
  const size = 9 * 1024 * 1024;
  const created = await api.call('createVideo', {
    as: 'alice',
    body: { title: 'Hello', visibility: 'public', fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: size },
  });
  expect(created.status).toBe(201);
  const parts = await uploadParts(created.body.upload.parts, created.body.upload.partSize, Buffer.alloc(size, 7));
  const completed = await api.call('completeUpload', { as: 'alice', id: created.body.video.id, body: { parts } });
  expect(completed.body).toEqual(expect.objectContaining({ video: expect.objectContaining({ status: 'PROCESSING' }) }));
  const read = await api.call('getVideo', { id: created.body.video.id });
  expect(read.status).toBe(200);
});
