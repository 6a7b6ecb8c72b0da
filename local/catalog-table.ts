import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { CATALOG_SCHEMA } from '../lambda/api/routes';

/**
 * Creates the catalog table as the `VideoCatalog` construct defines it (the id key, the owner
 * index), unless it exists already (the twin keeps its table across restarts), and returns once
 * it is ACTIVE: a DynamoDB-compatible server answers writes to a table still CREATING with
 * ResourceNotFoundException, as DynamoDB does.
 */
export async function createCatalogTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: CATALOG_SCHEMA.partitionKey, AttributeType: 'S' },
          { AttributeName: CATALOG_SCHEMA.ownerIndexPartitionKey, AttributeType: 'S' },
          { AttributeName: CATALOG_SCHEMA.ownerIndexSortKey, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: CATALOG_SCHEMA.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: CATALOG_SCHEMA.ownerIndexName,
            KeySchema: [
              { AttributeName: CATALOG_SCHEMA.ownerIndexPartitionKey, KeyType: 'HASH' },
              { AttributeName: CATALOG_SCHEMA.ownerIndexSortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await untilActive(dynamodb, tableName);
}

async function untilActive(dynamodb: DynamoDBClient, tableName: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline)
      throw new Error(`table ${tableName} is still ${Table?.TableStatus} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
