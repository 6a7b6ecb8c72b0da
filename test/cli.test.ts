import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { API_ROUTES } from '../lambda/api/routes';
import { apiEnvironment } from '../lambda/api/settings';
import { completionEnvironment, submitEnvironment } from '../lambda/transcode/settings';
import { DEFAULT_CONFIG } from '../lib/config';
import { HANDLER_FILE } from '../lib/constructs/platform-function';
import { MEDIA_INFO_WASM } from '../lib/constructs/transcoding-pipeline';

/** Loads a bundle as Lambda loads an `.mjs` handler file (an ES module import), calls its handler with `event`. */
const invokeScript = (bundle: string, event: string) =>
  `import(${JSON.stringify(pathToFileURL(bundle).href)}).then((m) => m.handler(${event})).then((r) => { console.log(JSON.stringify(r ?? null)); process.exit(0); })`;

describe('cdk synth from the command line', () => {
  // Prepare: an environment with every AWS credential source removed.
  const outdir = mkdtempSync(join(tmpdir(), 'vod-cli-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  Object.assign(env, {
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });

  it('synthesizes both stacks offline, with no AWS credentials and no lookups', () => {
    // Act
    execFileSync('npx', ['cdk', 'synth', '--all', '--quiet', '--output', outdir], {
      cwd: join(__dirname, '..'),
      env,
      stdio: 'pipe',
      timeout: 120_000,
    });

    // Assess
    expect(existsSync(join(outdir, 'VodEdge.template.json'))).toBe(true);
    expect(existsSync(join(outdir, 'VodPlatform.template.json'))).toBe(true);
  });

  it('bundles every function as one ES module, index.mjs, without a CommonJS twin', () => {
    // Prepare
    const template = JSON.parse(readFileSync(join(outdir, 'VodPlatform.template.json'), 'utf8'));
    const functions = Object.values<any>(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.TracingConfig?.Mode === 'Active',
    );

    // Assess: ES modules load faster (bench/cold-start.ts), and Lambda picks the format by the extension.
    expect(functions.length).toBeGreaterThanOrEqual(API_ROUTES.length + 2);
    for (const fn of functions) {
      const asset = join(outdir, fn.Metadata['aws:asset:path']);
      expect({ asset, mjs: existsSync(join(asset, HANDLER_FILE)), js: existsSync(join(asset, 'index.js')) }).toEqual({
        asset,
        mjs: true,
        js: false,
      });
    }
  });

  it('bundles every API handler into a file that loads on its own and answers bad input with a 400', () => {
    // Prepare: the bundle of each route's function, found through the template.
    const template = JSON.parse(readFileSync(join(outdir, 'VodPlatform.template.json'), 'utf8'));
    const functions = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const handlerEnv = {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'CRITICAL',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...apiEnvironment({
        tableName: 'catalog',
        ownerIndexName: 'byOwner',
        uploadBucket: 'uploads',
        mediaBucket: 'media',
        // Loopback, where nothing listens: the bundle connects at load, and no traffic may leave the machine.
        cacheEndpoint: '127.0.0.1:9',
        cacheTls: false,
        signingKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:key',
        jwt: {
          issuer: 'https://issuer.invalid',
          audience: 'client',
          jwksUrl: 'https://issuer.invalid/.well-known/jwks.json',
        },
        allowedOrigins: DEFAULT_CONFIG.allowedOrigins,
        policy: {
          maxUploadBytes: 1000,
          allowedContentTypes: ['video/mp4'],
          uploadUrlTtlSeconds: DEFAULT_CONFIG.uploadUrlTtlSeconds,
          publicPlaybackTtlSeconds: DEFAULT_CONFIG.publicPlaybackTtlSeconds,
          privatePlaybackTtlSeconds: DEFAULT_CONFIG.privatePlaybackTtlSeconds,
          cacheTtlSeconds: DEFAULT_CONFIG.metadataCacheTtlSeconds,
          cdnBaseUrl: 'https://cdn.invalid',
        },
      }),
    };

    for (const route of API_ROUTES) {
      const name = route.operationId[0]?.toUpperCase() + route.operationId.slice(1);
      const [, resource] = functions.find(([logicalId]) => logicalId.startsWith(`Api${name}`)) ?? [];
      const bundle = join(
        outdir,
        `asset.${String(resource?.Properties.Code.S3Key).replace(/\.zip$/, '')}`,
        HANDLER_FILE,
      );
      // A body and an id that every route refuses before touching AWS.
      const event = JSON.stringify({
        httpMethod: route.method,
        headers: { 'Content-Type': 'application/json' },
        pathParameters: { id: '../not-an-id' },
        queryStringParameters: { limit: 'many' },
        body: '{',
        requestContext: { authorizer: { claims: { sub: 'someone' } } },
      });

      // Act: load the bundle in a fresh Node.js process, as Lambda does.
      const output = execFileSync(process.execPath, ['-e', invokeScript(bundle, event)], {
        env: handlerEnv,
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 30_000,
      });

      // Assess
      const response = JSON.parse(output.toString().trim().split('\n').pop() ?? '{}');
      expect({ route: route.operationId, status: response.statusCode }).toEqual({
        route: route.operationId,
        status: 400,
      });
      expect(JSON.parse(response.body).error.code).toMatch(/^(VALIDATION_FAILED|BAD_REQUEST)$/);
    }
  });

  it('bundles the pipeline handlers into files that load on their own and drop garbage without retrying it', () => {
    // Prepare
    const template = JSON.parse(readFileSync(join(outdir, 'VodPlatform.template.json'), 'utf8'));
    const functions = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const bundleOf = (prefix: string) => {
      const [, resource] = functions.find(([logicalId]) => logicalId.startsWith(prefix)) ?? [];
      return join(outdir, `asset.${String(resource?.Properties.Code.S3Key).replace(/\.zip$/, '')}`, HANDLER_FILE);
    };
    const handlerEnv = {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'CRITICAL',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...submitEnvironment({
        tableName: 'catalog',
        uploadBucket: 'uploads',
        mediaBucket: 'media',
        roleArn: 'arn:aws:iam::000000000000:role/mediaconvert',
        queueArn: 'arn:aws:mediaconvert:eu-west-1:000000000000:queues/vod',
      }),
      ...completionEnvironment({
        tableName: 'catalog',
        mediaBucket: 'media',
        cacheEndpoint: '127.0.0.1:9',
        cacheTls: false,
        cacheTtlSeconds: DEFAULT_CONFIG.metadataCacheTtlSeconds,
      }),
    };
    const invoke = (bundle: string, event: unknown) =>
      execFileSync(process.execPath, ['-e', invokeScript(bundle, JSON.stringify(event))], {
        env: handlerEnv,
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 30_000,
      })
        .toString()
        .trim()
        .split('\n')
        .pop();

    // Act
    const submitted = invoke(bundleOf('TranscodingSubmit'), {
      Records: [{ messageId: 'm1', receiptHandle: 'r1', body: 'not json', attributes: {}, eventSource: 'aws:sqs' }],
    });
    const handled = invoke(bundleOf('TranscodingJobState'), { source: 'aws.s3', detail: {} });

    // Assess: the message is dropped (not reported as failed), the event ignored; the probe's
    // WebAssembly ships beside the submit bundle.
    expect(JSON.parse(submitted ?? '')).toEqual({ batchItemFailures: [] });
    expect(existsSync(join(dirname(bundleOf('TranscodingSubmit')), MEDIA_INFO_WASM))).toBe(true);
    expect(JSON.parse(handled ?? '')).toBeNull();
  });
});
