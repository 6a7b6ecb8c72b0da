import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import Redis from 'ioredis';
import { JwtVerifier } from '../../lambda/adapters/jwt-verifier';
import { API_ROUTES } from '../../lambda/api/routes';
import {
  type ApiServer,
  GATEWAY_MAX_BODY_BYTES,
  type ProxyHandler,
  scriptModules,
  startApiServer,
} from '../../local/api-server';
import { createLocalIdentity } from '../../local/identity-issuer';
import { freePort } from '../../local/ports';
import { RedisServer } from '../../local/redis-server';
import { TokenBucketLimiter } from '../../local/token-bucket';

/**
 * The twin's stand-in for API Gateway, its authorizer and its web ACL, with handlers that echo
 * the event they get: what reaches a handler, and what never does.
 */

let server: ApiServer;
let redis: RedisServer;
let redisClient: Redis;
let directory: string;
const events: APIGatewayProxyEvent[] = [];
const faults: unknown[] = [];
let token: string;

const echo: ProxyHandler = async (event) => {
  events.push(event);
  const padding = event.queryStringParameters?.pad ? 'x'.repeat(Number(event.queryStringParameters.pad)) : '';
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ path: event.path, padding }),
  };
};

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'vod-api-server-'));
  writeFileSync(join(directory, 'index.html'), '<!doctype html><title>page</title>');
  writeFileSync(join(directory, 'app.js'), "import { list } from './list.js';\n");
  writeFileSync(join(directory, 'list.js'), 'export const list = [];\n');
  writeFileSync(join(directory, 'notes.txt'), 'not part of the page');
  redis = await RedisServer.startOnFreePort();
  redisClient = new Redis({ host: '127.0.0.1', port: redis.port, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  redisClient.on('error', () => undefined);
  await new Promise((resolve) => redisClient.once('ready', resolve));
  const port = await freePort();
  const identity = createLocalIdentity(`http://127.0.0.1:${port}/local-user-pool`);
  const verifier = new JwtVerifier(identity);
  const handlers = Object.fromEntries(API_ROUTES.map((route) => [route.operationId, echo]));
  handlers.deleteVideo = async () => {
    throw new Error('a fault of ours');
  };
  server = await startApiServer({
    port,
    routes: API_ROUTES,
    handlers,
    identity,
    verifyToken: (jwt) => verifier.verify(jwt),
    limiter: new TokenBucketLimiter(redisClient),
    rateRules: {
      perIp: { name: 'PerIp', limit: 100_000, windowSeconds: 300 },
      uploadCreation: { name: 'UploadCreation', limit: 5, windowSeconds: 300 },
    },
    allowedOrigins: ['*'],
    staticFiles: {
      '/': { path: join(directory, 'index.html'), contentType: 'text/html; charset=utf-8' },
      ...scriptModules(directory),
    },
    contentSecurityPolicy: "default-src 'self'",
    onFault: (error) => faults.push(error),
  });
  token = (await json(await post('/dev/tokens', { sub: 'alice' }))).token;
});

afterAll(async () => {
  await server?.close();
  redisClient?.disconnect();
  await redis?.stop();
  rmSync(directory, { recursive: true, force: true });
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });
/** A JSON answer, loosely typed for assertions. */
const json = async (response: Response): Promise<any> => response.json();
const bearer = () => ({ authorization: `Bearer ${token}` });

describe('routing', () => {
  it('gives the handler the event API Gateway builds: resource, decoded path parameter, query, claims', async () => {
    // Act
    const response = await get('/videos/abc%2Dd/upload?x=1&x=2', bearer());

    // Assess
    expect(response.status).toBe(200);
    const event = events.at(-1) as APIGatewayProxyEvent;
    expect(event).toMatchObject({
      resource: '/videos/{id}/upload',
      path: '/videos/abc%2Dd/upload',
      httpMethod: 'GET',
      pathParameters: { id: 'abc-d' },
      queryStringParameters: { x: '2' },
      multiValueQueryStringParameters: { x: ['1', '2'] },
    });
    expect(event.requestContext.authorizer?.claims.sub).toBe('alice');
  });

  it('answers 404 in the error shape to an unknown path and to a method the path lacks', async () => {
    // Act
    const unknown = await get('/nothing/here');
    const wrongMethod = await fetch(`${server.url}/videos/abc/upload`, { method: 'PUT' });

    // Assess
    for (const response of [unknown, wrongMethod]) {
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual({ error: { code: 'NOT_FOUND', message: 'No such route.' } });
    }
  });

  it('answers a handler fault with 500 in the error shape and reports it', async () => {
    // Act
    const response = await fetch(`${server.url}/videos/abc`, { method: 'DELETE', headers: bearer() });

    // Assess
    expect(response.status).toBe(500);
    expect(await json(response)).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
    expect(String(faults.at(-1))).toContain('a fault of ours');
  });

  it('answers CORS preflights for the API routes', async () => {
    // Act
    const response = await fetch(`${server.url}/videos`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' },
    });

    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
  });
});

describe('the authorizer', () => {
  it('answers 401 on routes that need a token when there is none or a bad one; the handler never runs', async () => {
    // Prepare
    const before = events.length;
    const forged = `${token.slice(0, -4)}AAAA`;
    const foreign = await createLocalIdentity(`${server.url}/local-user-pool`).issue('mallory');

    // Act
    const statuses = await Promise.all([
      get('/videos'),
      get('/videos', { authorization: `Bearer ${forged}` }),
      get('/videos', { authorization: `Bearer ${foreign}` }),
      get('/videos', { authorization: 'Basic YWxpY2U6c2VjcmV0' }),
    ]).then((responses) => responses.map((response) => response.status));

    // Assess
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(events.length).toBe(before);
  });

  it('lets anonymous callers through on the routes without an authorizer, with no claims', async () => {
    // Act
    const response = await get('/videos/abc');

    // Assess
    expect(response.status).toBe(200);
    expect(events.at(-1)?.requestContext.authorizer).toBeNull();
  });
});

describe('request bodies', () => {
  it('answers 400 to a JSON body that is not an object, as the request validator does', async () => {
    // Act
    const responses = await Promise.all(
      ['[1,2]', '"text"', 'null', '{not json'].map((body) => post('/videos/abc/upload/complete', body, bearer())),
    );

    // Assess
    for (const response of responses) {
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('answers 413 to a body over 10 MB', async () => {
    // Act
    const response = await post('/videos/abc/upload/complete', 'x'.repeat(GATEWAY_MAX_BODY_BYTES + 1), bearer());

    // Assess
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('never answers 5xx to any body on a route with a body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (body) => {
        const response = await post('/videos/abc/upload/complete', body, bearer());
        await response.arrayBuffer();
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
  });
});

describe('compression', () => {
  it('gzips answers from 1 KiB when the caller accepts gzip, and not smaller ones', async () => {
    // Act
    const big = await fetch(`${server.url}/videos/abc?pad=2000`, { headers: { 'accept-encoding': 'gzip' } });
    const small = await fetch(`${server.url}/videos/abc?pad=10`, { headers: { 'accept-encoding': 'gzip' } });

    // Assess: fetch decodes gzip itself, so the headers tell what was sent.
    expect(big.headers.get('content-encoding')).toBe('gzip');
    expect((await json(big)).padding).toHaveLength(2000);
    expect(small.headers.get('content-encoding')).toBeNull();
  });
});

describe('POST /dev/tokens', () => {
  it('signs in by name with a token the authorizer accepts', async () => {
    // Act
    const { token: bobsToken } = await json(await post('/dev/tokens', { sub: 'bob' }));
    await get('/videos', { authorization: `Bearer ${bobsToken}` });

    // Assess
    expect(events.at(-1)?.requestContext.authorizer?.claims.sub).toBe('bob');
  });

  it('answers 400 to anything but a plain name, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.record({ sub: fc.string() }).map((v) => JSON.stringify(v)),
        ),
        async (body) => {
          const response = await post('/dev/tokens', body);
          const answer = await json(response);
          if (response.status === 200) expect(typeof answer.token).toBe('string');
          else {
            expect(response.status).toBe(400);
            expect(answer.error.code).toMatch(/^(BAD_REQUEST|VALIDATION_FAILED)$/);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the rate rules', () => {
  it('answers 429 with Retry-After and X-RateLimit headers once upload creation goes beyond its rule; other routes go on', async () => {
    // Act
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 7; i++) {
      const response = await post('/videos', {}, bearer());
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
      else await response.arrayBuffer();
    }

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(limited && (await json(limited))).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited?.headers.get('x-ratelimit-limit')).toBe('5');
    expect(limited?.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await get('/videos', bearer())).status).toBe(200);
  });
});

describe('the web page', () => {
  it('is served with its Content-Security-Policy', async () => {
    // Act
    const response = await get('/');

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(await response.text()).toContain('<title>page</title>');
  });

  it('serves every ES module of its folder as JavaScript, and no other file of the folder', async () => {
    // Act
    const modules = await Promise.all(['/app.js', '/list.js'].map((path) => get(path)));
    const other = await get('/notes.txt');

    // Assess
    for (const response of modules) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe("default-src 'self'");
    }
    expect(await modules[1]?.text()).toBe('export const list = [];\n');
    expect(other.status).toBe(404);
  });

  it('serves every module the real page imports', () => {
    // Prepare
    const web = join(__dirname, '..', '..', 'local', 'web');
    const served = scriptModules(web);

    // Act
    const imported = Object.keys(served).flatMap((path) =>
      [...readFileSync(join(web, path), 'utf8').matchAll(/from '\.\/([^']+)'/g)].map((match) => `/${match[1]}`),
    );

    // Assess
    expect(Object.keys(served)).toContain('/app.js');
    expect(imported.length).toBeGreaterThan(0);
    for (const path of imported) expect(Object.keys(served)).toContain(path);
  });
});
