import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../../lambda/api/openapi';
import { API_ROUTES } from '../../lambda/api/routes';

const root = join(__dirname, '..', '..');
const committed = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8'));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

test('the committed openapi.json is the one the schemas generate (run npm run openapi after a change)', () => {
  // Act
  const generated = buildOpenApiDocument(version);

  // Assess
  expect(committed).toEqual(generated);
});

test('every route is documented with its method, auth and error shape', () => {
  for (const route of API_ROUTES) {
    const operation = committed.paths[route.path]?.[route.method.toLowerCase()];
    expect(operation?.operationId).toBe(route.operationId);
    expect(operation.responses['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
    // Optional auth is an empty requirement beside the user pool.
    expect(operation.security.some((requirement: object) => Object.keys(requirement).length === 0)).toBe(
      route.auth === 'optional',
    );
  }
});

test('the documented request bodies refuse unknown fields, as the validators do', () => {
  for (const name of ['CreateVideoRequest', 'UpdateVideoRequest', 'CompleteUploadRequest']) {
    expect(committed.components.schemas[name].additionalProperties).toBe(false);
  }
  expect(committed.components.schemas.CreateVideoRequest.required).toEqual(
    expect.arrayContaining(['title', 'visibility', 'fileName', 'contentType', 'sizeBytes']),
  );
});
