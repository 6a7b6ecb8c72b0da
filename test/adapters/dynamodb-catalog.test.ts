import { DynamoDbCatalog } from '../../lambda/adapters/dynamodb-catalog';
import { CATALOG_SCHEMA } from '../../lambda/api/routes';
import { describeCatalogContract } from '../support/catalog-contract';
import { startLocalServers } from '../support/local-servers';

describeCatalogContract('the DynamoDB catalog', async () => {
  const servers = await startLocalServers();
  const catalog = new DynamoDbCatalog(servers.dynamodb, {
    tableName: servers.tableName,
    ownerIndexName: CATALOG_SCHEMA.ownerIndexName,
  });
  return { catalog, close: () => servers.stop() };
});
