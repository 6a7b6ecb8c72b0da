import { DynamoDbCatalog } from '../../lambda/adapters/dynamodb-catalog';
import { CATALOG_SCHEMA } from '../../lambda/api/routes';
import { startLocalServers } from '../../local/harness/local-servers';
import { describeCatalogContract } from '../support/catalog-contract';

describeCatalogContract('the DynamoDB catalog', async () => {
  const servers = await startLocalServers();
  const catalog = new DynamoDbCatalog(servers.dynamodb, {
    tableName: servers.tableName,
    ownerIndexName: CATALOG_SCHEMA.ownerIndexName,
  });
  return { catalog, close: () => servers.stop() };
});
