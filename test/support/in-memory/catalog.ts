import {
  type Catalog,
  ConditionFailed,
  type DetailsChange,
  type PageCursor,
  type StatusChange,
} from '../../../lambda/core/ports';
import type { TranscodeClaim, VideoRecord } from '../../../lambda/core/video';

/**
 * The catalog in a map, with the conditions `DynamoDbCatalog` writes under (the same contract
 * test runs against both): every update needs the record to exist and its condition to hold,
 * or it throws `ConditionFailed` and writes nothing. Records go in and out as copies, as they
 * do through DynamoDB, so a caller never holds the stored record; undefined fields are dropped,
 * as the adapter's marshalling drops them.
 */
export class InMemoryCatalog implements Catalog {
  private readonly records = new Map<string, VideoRecord>();

  async get(id: string): Promise<VideoRecord | undefined> {
    const record = this.records.get(id);
    return record && copy(record);
  }

  async create(record: VideoRecord): Promise<void> {
    if (this.records.has(record.id)) throw new ConditionFailed();
    this.records.set(record.id, copy(record));
  }

  transition(id: string, from: VideoRecord['status'], change: StatusChange): Promise<VideoRecord> {
    return this.update(id, { ...change }, (record) => record.status === from);
  }

  claimTranscode(id: string, claim: TranscodeClaim, staleBefore: string): Promise<VideoRecord> {
    return this.update(
      id,
      { transcode: claim },
      ({ status, transcode }) =>
        status === 'PROCESSING' &&
        (transcode === undefined || (transcode.jobId === undefined && transcode.claimedAt < staleBefore)),
    );
  }

  recordTranscodeJob(id: string, claim: TranscodeClaim & { readonly jobId: string }): Promise<VideoRecord> {
    return this.update(id, { transcode: claim }, ({ transcode }) => transcode?.claimedAt === claim.claimedAt);
  }

  updateDetails(id: string, ownerId: string, change: DetailsChange): Promise<VideoRecord> {
    return this.update(id, { ...change }, (record) => record.ownerId === ownerId);
  }

  async delete(id: string, ownerId: string): Promise<void> {
    const record = this.records.get(id);
    if (record && record.ownerId !== ownerId) throw new ConditionFailed();
    this.records.delete(id);
  }

  /**
   * Newest first, as the owner index answers with `ScanIndexForward: false`; ties on `createdAt`
   * in id order (DynamoDB's order among ties is its own). A full page always has a `next`, even
   * when nothing follows, as DynamoDB's `LastEvaluatedKey` does.
   */
  async listByOwner(
    ownerId: string,
    limit: number,
    after?: PageCursor,
  ): Promise<{ items: VideoRecord[]; next?: PageCursor }> {
    const newestFirst = [...this.records.values()]
      .filter((record) => record.ownerId === ownerId)
      .sort((a, b) => compareNewestFirst(a, b));
    const start = after ? newestFirst.filter((record) => compareNewestFirst(after, record) < 0) : newestFirst;
    const items = start.slice(0, limit).map(copy);
    const last = items.length === limit ? items[items.length - 1] : undefined;
    return { items, next: last && { id: last.id, createdAt: last.createdAt } };
  }

  /** Sets the defined fields of `values` on an existing record, only if `condition` holds. */
  private async update(
    id: string,
    values: Partial<VideoRecord>,
    condition: (record: VideoRecord) => boolean,
  ): Promise<VideoRecord> {
    const current = this.records.get(id);
    if (!current || !condition(current)) throw new ConditionFailed();
    const defined = Object.entries(values).filter(([, value]) => value !== undefined);
    const updated = copy({ ...current, ...Object.fromEntries(defined) });
    this.records.set(id, updated);
    return copy(updated);
  }
}

/** Records are JSON data in the table and in the cache: a round trip copies them and drops `undefined`. */
const copy = (record: VideoRecord): VideoRecord => JSON.parse(JSON.stringify(record));

/** Negative when `a` comes first in a newest-first page. */
function compareNewestFirst(a: PageCursor, b: PageCursor): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}
