import fc from 'fast-check';
import { ApiError } from '../../lambda/core/errors';
import type { CoreDeps } from '../../lambda/core/ports';
import type { VideoStatus } from '../../lambda/core/schemas';
import { canTransition } from '../../lambda/core/video';
import { transitionVideo } from '../../lambda/core/videos';

const STATUSES: VideoStatus[] = ['UPLOADING', 'PROCESSING', 'READY', 'FAILED'];
const EDGES = new Set(['UPLOADING>PROCESSING', 'UPLOADING>FAILED', 'PROCESSING>READY', 'PROCESSING>FAILED']);

describe('the video state machine', () => {
  it('allows exactly UPLOADING → PROCESSING → READY | FAILED, and UPLOADING → FAILED', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATUSES), fc.constantFrom(...STATUSES), (from, to) => {
        expect(canTransition(from, to)).toBe(EDGES.has(`${from}>${to}`));
      }),
    );
  });

  it('refuses a move off the machine with 409 before it writes anything', async () => {
    // Prepare: a catalog that fails the test if it is written to.
    const writes: string[] = [];
    const deps = {
      catalog: { transition: async (id: string) => writes.push(id) },
      clock: { now: () => new Date() },
    } as unknown as CoreDeps;
    const record = { id: 'v1', status: 'READY' } as Parameters<typeof transitionVideo>[1];

    // Act
    const moving = transitionVideo(deps, record, { status: 'PROCESSING' });

    // Assess
    await expect(moving).rejects.toEqual(expect.objectContaining({ status: 409, code: 'INVALID_STATE' }));
    await expect(moving).rejects.toBeInstanceOf(ApiError);
    expect(writes).toEqual([]);
  });
});
