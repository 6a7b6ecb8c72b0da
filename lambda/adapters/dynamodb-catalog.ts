import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Catalog,
  ConditionFailed,
  type DetailsChange,
  type PageCursor,
  type StatusChange,
  WriteNotApplied,
} from '../core/ports';
import type { TranscodeClaim, VideoRecord } from '../core/video';
import { isCertainlyNotApplied } from './dependency-outage';

export interface DynamoDbCatalogOptions {
  readonly tableName: string;
  /** The index on `ownerId` (partition) and `createdAt` (sort). */
  readonly ownerIndexName: string;
}

/** Builds `SET #a = :a, #b = :b` from the defined fields of `values`. */
function setExpression(values: Record<string, unknown>) {
  const names: Record<string, string> = {};
  const attributeValues: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const [field, value] of Object.entries(values)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    attributeValues[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  return { expression: `SET ${sets.join(', ')}`, names, values: attributeValues };
}

async function conditional<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new ConditionFailed();
    if (isCertainlyNotApplied(error)) throw new WriteNotApplied(error);
    throw error;
  }
}

/** The catalog in one DynamoDB table, keyed by video id, with an index of each owner's videos. */
export class DynamoDbCatalog implements Catalog {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly options: DynamoDbCatalogOptions,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(id: string): Promise<VideoRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: { id }, ConsistentRead: true }),
    );
    return Item as VideoRecord | undefined;
  }

  async create(record: VideoRecord): Promise<void> {
    await conditional(() =>
      this.documents.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: record,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      ),
    );
  }

  transition(id: string, from: VideoRecord['status'], change: StatusChange): Promise<VideoRecord> {
    return this.conditionalUpdate(id, { ...change }, '#status = :from', { '#status': 'status' }, { ':from': from });
  }

  claimTranscode(id: string, claim: TranscodeClaim, staleBefore: string): Promise<VideoRecord> {
    return this.conditionalUpdate(
      id,
      { transcode: claim },
      '#status = :processing AND (attribute_not_exists(#transcode) OR (attribute_not_exists(#transcode.#jobId) AND #transcode.#claimedAt < :staleBefore))',
      { '#status': 'status', '#transcode': 'transcode', '#jobId': 'jobId', '#claimedAt': 'claimedAt' },
      { ':processing': 'PROCESSING', ':staleBefore': staleBefore },
    );
  }

  recordTranscodeJob(id: string, claim: TranscodeClaim & { readonly jobId: string }): Promise<VideoRecord> {
    return this.conditionalUpdate(
      id,
      { transcode: claim },
      '#transcode.#claimedAt = :claimedAt',
      { '#transcode': 'transcode', '#claimedAt': 'claimedAt' },
      { ':claimedAt': claim.claimedAt },
    );
  }

  updateDetails(id: string, ownerId: string, change: DetailsChange): Promise<VideoRecord> {
    return this.conditionalUpdate(
      id,
      { ...change },
      '#ownerId = :owner',
      { '#ownerId': 'ownerId' },
      { ':owner': ownerId },
    );
  }

  /** Sets the defined fields of `values` on an existing record, only if `condition` holds. */
  private async conditionalUpdate(
    id: string,
    values: Record<string, unknown>,
    condition: string,
    names: Record<string, string>,
    conditionValues: Record<string, unknown>,
  ): Promise<VideoRecord> {
    const set = setExpression(values);
    const { Attributes } = await conditional(() =>
      this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { id },
          UpdateExpression: set.expression,
          ConditionExpression: `attribute_exists(#id) AND ${condition}`,
          ExpressionAttributeNames: { ...set.names, ...names, '#id': 'id' },
          ExpressionAttributeValues: { ...set.values, ...conditionValues },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return Attributes as VideoRecord;
  }

  async delete(id: string, ownerId: string): Promise<void> {
    await conditional(() =>
      this.documents.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: { id },
          ConditionExpression: 'attribute_not_exists(#id) OR #ownerId = :owner',
          ExpressionAttributeNames: { '#id': 'id', '#ownerId': 'ownerId' },
          ExpressionAttributeValues: { ':owner': ownerId },
        }),
      ),
    );
  }

  async listByOwner(
    ownerId: string,
    limit: number,
    after?: PageCursor,
  ): Promise<{ items: VideoRecord[]; next?: PageCursor }> {
    const { Items, LastEvaluatedKey } = await this.documents.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: this.options.ownerIndexName,
        KeyConditionExpression: '#ownerId = :owner',
        ExpressionAttributeNames: { '#ownerId': 'ownerId' },
        ExpressionAttributeValues: { ':owner': ownerId },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: after ? { id: after.id, ownerId, createdAt: after.createdAt } : undefined,
      }),
    );
    const next = LastEvaluatedKey
      ? { id: String(LastEvaluatedKey.id), createdAt: String(LastEvaluatedKey.createdAt) }
      : undefined;
    return { items: (Items ?? []) as VideoRecord[], next };
  }
}
