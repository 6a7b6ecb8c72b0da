import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../lambda/api/openapi';

/** Writes openapi.json from the route table and the request schemas. */
const root = join(__dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(root, 'openapi.json'), `${JSON.stringify(buildOpenApiDocument(version), null, 2)}\n`);
