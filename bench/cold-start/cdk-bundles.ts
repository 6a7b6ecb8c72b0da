import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { BuildOptions } from 'esbuild';
import { createVodApp } from '../../lib/app';
import { CONFIG_CONTEXT_KEY } from '../../lib/config';
import { PROJECT_ROOT } from '../../lib/project-root';

/**
 * The handlers as the CDK app bundles them for `cdk synth`, and that bundling as esbuild's
 * options, so that a bundle can be rebuilt with one thing changed.
 */

export interface Shipped {
  /** The entry, relative to the project root, e.g. `lambda/api/get-video.ts`. */
  readonly entry: string;
  /** The staged asset's handler file. */
  readonly file: string;
  /** Bytes of the handler file (the source map beside it is not loaded unless an error is mapped). */
  readonly bytes: number;
  readonly nodeOptions: string | undefined;
  /** What the construct passed to the CDK's bundling, for the levers. */
  readonly bundling: nodejs.BundlingOptions & { readonly runtime: lambda.Runtime };
}

/**
 * Builds the app with bundling on and returns every NodejsFunction's bundle, one per entry. The
 * entries and their bundling options are what the constructs pass to the CDK's bundling, seen by
 * wrapping `Bundling.bundle` (not exported, so it is reached beside `aws-lambda-nodejs`'s index).
 */
export function shippedBundles(outdir: string): Shipped[] {
  const bundlingModule = require(join(dirname(require.resolve('aws-cdk-lib/aws-lambda-nodejs')), 'lib', 'bundling'));
  const { Bundling } = bundlingModule as {
    Bundling: { bundle: (scope: unknown, options: Record<string, unknown>) => lambda.AssetCode };
  };
  const original = Bundling.bundle;
  const seen = new Map<unknown, Record<string, unknown>>();
  Bundling.bundle = (scope, options) => {
    const code = original.call(Bundling, scope, options);
    const bind = code.bind.bind(code);
    code.bind = (fn) => {
      seen.set(fn, options);
      return bind(fn);
    };
    return code;
  };
  try {
    const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
    // With a webhook receiver configured, so that the delivery function is deployed too.
    const context = { ...cdkJson.context, [CONFIG_CONTEXT_KEY]: { webhookUrl: 'https://hooks.example.com/vod' } };
    const { app } = createVodApp({ outdir, context });
    const byEntry = new Map<string, Shipped>();
    for (const construct of app.node.findAll()) {
      if (!(construct instanceof nodejs.NodejsFunction)) continue;
      const options = seen.get(construct);
      if (!options) throw new Error(`${construct.node.path}: its bundling was not seen`);
      const entry = relative(PROJECT_ROOT, String(options.entry));
      const asset = join(outdir, (construct.node.findChild('Code') as s3assets.Asset).assetPath);
      const file = ['index.mjs', 'index.js'].map((name) => join(asset, name)).find((path) => existsSync(path));
      if (!file) throw new Error(`${construct.node.path}: no index.mjs or index.js in ${asset}`);
      const cfn = construct.node.defaultChild as lambda.CfnFunction;
      const variables = (cfn.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {};
      byEntry.set(entry, {
        entry,
        file,
        bytes: statSync(file).size,
        nodeOptions: variables.NODE_OPTIONS,
        bundling: options as unknown as Shipped['bundling'],
      });
    }
    return [...byEntry.values()].sort((a, b) => a.entry.localeCompare(b.entry));
  } finally {
    Bundling.bundle = original;
  }
}

/**
 * esbuild's options for a function's bundling, as the CDK's `Bundling` turns them into command-line
 * flags (aws-lambda-nodejs, `buildEsbuildArgs`), for the bundling props this platform uses.
 */
export function esbuildOptions(props: Shipped['bundling'], outdir: string): BuildOptions {
  const esm = props.format === nodejs.OutputFormat.ESM;
  const args = (props.esbuildArgs ?? {}) as Record<string, string>;
  const conditions = args['--conditions'];
  const alias = Object.fromEntries(
    Object.entries(args)
      .filter(([flag]) => flag.startsWith('--alias:'))
      .map(([flag, path]) => [flag.slice('--alias:'.length), join(PROJECT_ROOT, path)]),
  );
  return {
    entryPoints: [join(PROJECT_ROOT, String((props as { entry?: string }).entry))],
    bundle: true,
    target: `node${/nodejs(\d+)/.exec(props.runtime.name)?.[1]}`,
    platform: 'node',
    ...(props.format ? { format: props.format as 'esm' | 'cjs' } : {}),
    outfile: join(outdir, esm ? 'index.mjs' : 'index.js'),
    minify: props.minify ?? false,
    sourcemap: props.sourceMap ?? false,
    sourcesContent: props.sourcesContent ?? true,
    external: props.externalModules ?? ['@aws-sdk/*'],
    keepNames: props.keepNames ?? false,
    ...(props.banner ? { banner: { js: props.banner } } : {}),
    ...(props.mainFields ? { mainFields: props.mainFields } : {}),
    ...(conditions ? { conditions: conditions.split(',') } : {}),
    ...(Object.keys(alias).length > 0 ? { alias } : {}),
    logLevel: 'error',
  };
}
