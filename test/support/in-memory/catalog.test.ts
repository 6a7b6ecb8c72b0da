import { describeCatalogContract } from '../catalog-contract';
import { InMemoryCatalog } from './catalog';

describeCatalogContract('the in-memory catalog', async () => ({
  catalog: new InMemoryCatalog(),
  close: async () => {},
}));
