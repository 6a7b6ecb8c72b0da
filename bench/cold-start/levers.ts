import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { esbuildOptions } from './cdk-bundles';
import { type HandlerRow, noSamples, type Subject } from './measure';

/**
 * Levers on one handler: each a bundle of its own, rebuilt with esbuild from the CDK's options with
 * one thing changed; and an experiment that takes the X-Ray SDK out of both sides.
 */

/**
 * Stands in for the X-Ray SDK, for the experiment that takes it out of both sides: any property,
 * call or construction answers itself. Enough for Powertools' Tracer with tracing off, as here.
 */
const XRAY_STUB = `const stub = new Proxy(function () {}, {
  get: (target, key) => (key === 'then' ? undefined : key === Symbol.toPrimitive ? () => '' : stub),
  apply: () => stub,
  construct: () => stub,
});
module.exports = stub;
`;

/** Makes the reference require the stub above instead of the X-Ray SDK (node -r). */
const xrayStubHook = (stubFile: string) => `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'aws-xray-sdk-core' ? ${JSON.stringify(stubFile)} : resolve.call(this, request, ...rest);
};
`;

/**
 * The SDK's generated schema modules key their HTTP bindings by module constants
 * (`{ [_h]: ["GET", "/?lifecycle", 200] }`). esbuild cannot tell such a computed key is a string,
 * so it keeps every operation's and shape's schema, used or not (all of S3's, 136 KiB). With the
 * constants written in as literal keys it drops the unused ones. A plugin, which the CDK's
 * NodejsFunction cannot take: it runs esbuild's command line.
 */
const schemaKeysAsLiterals: Plugin = {
  name: 'schema-keys-as-literals',
  setup(builder) {
    builder.onLoad(
      { filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ },
      (args) => {
        const source = readFileSync(args.path, 'utf8');
        const constants = new Map<string, string>();
        for (const match of source.matchAll(/^const (_\w+) = ("(?:[^"\\]|\\.)*");$/gm))
          constants.set(match[1] as string, match[2] as string);
        return {
          contents: source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
            const literal = constants.get(name);
            return literal === undefined ? key : `${literal}:`;
          }),
          loader: 'js',
        };
      },
    );
  },
};

/** Brings back `import { z } from 'zod'`, which keeps every zod module (all its locales) in a bundle. */
const zodAsNamedImport: Plugin = {
  name: 'zod-named-import',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]lambda[\\/].*\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace("import * as z from 'zod';", "import { z } from 'zod';"),
      loader: 'ts',
    }));
  },
};

/** One lever: a bundle of its own, measured as the handler's bundle is. */
export interface Lever {
  readonly name: string;
  readonly bytes: number;
  readonly subject: Subject;
}

export interface LeverSubjects {
  readonly levers: readonly Lever[];
  /** Whether the last lever, the shipped bundle rebuilt, is byte for byte the CDK's. */
  readonly sameAsShipped: boolean;
  /** An experiment, not a lever: the X-Ray SDK (loaded by Powertools' Tracer) taken out of both sides. */
  readonly experiment: { readonly reference: Subject; readonly bundle: Subject };
}

/** Builds the levers, then the experiment, on the handler of `row`. */
export async function leverSubjects(
  row: HandlerRow,
  scratch: string,
  handlerEnv: Record<string, string>,
): Promise<LeverSubjects> {
  const shippedOptions = esbuildOptions({ ...row.shipped.bundling, entry: row.shipped.entry } as never, scratch);
  const levers = await buildLevers(row, shippedOptions, scratch, handlerEnv);
  const rebuilt = levers[levers.length - 1];
  const sameAsShipped =
    rebuilt !== undefined && readFileSync(rebuilt.subject.file).equals(readFileSync(row.shipped.file));
  const experiment = await withoutXray(row, shippedOptions, scratch);
  return { levers, sameAsShipped, experiment };
}

async function buildLevers(
  row: HandlerRow,
  shippedOptions: BuildOptions,
  scratch: string,
  handlerEnv: Record<string, string>,
): Promise<Lever[]> {
  const levers: Lever[] = [];
  const addLever = async (name: string, options: BuildOptions, nodeOptions = row.shipped.nodeOptions) => {
    const outdir = join(scratch, `lever-${levers.length}`);
    const built = { ...options, outfile: join(outdir, (options.outfile ?? '').split(/[\\/]/).pop() ?? 'index.js') };
    await build(built);
    const file = built.outfile;
    const env = { ...handlerEnv, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
    const subject: Subject = {
      name,
      file,
      eventFile: row.bundle.eventFile,
      env,
      check: row.bundle.check,
      samples: noSamples(),
    };
    levers.push({ name, bytes: statSync(file).size, subject });
  };
  const cjs: BuildOptions = { ...shippedOptions, outfile: 'index.js' };
  delete cjs.format;
  delete cjs.mainFields;
  delete cjs.banner;
  // Each lever alone, then all of them: the previous bundling was CommonJS with `import { z }`,
  // the SDK's default credential chain and NODE_OPTIONS=--enable-source-maps.
  const maps = '--enable-source-maps';
  await addLever(
    'CommonJS, `import { z }`, the whole credential chain, source maps on (before)',
    { ...cjs, alias: undefined, plugins: [zodAsNamedImport] },
    maps,
  );
  await addLever('CommonJS, `import { z }`', { ...cjs, plugins: [zodAsNamedImport] }, '');
  await addLever('CommonJS', cjs, '');
  await addLever('ES module, `import { z }`', { ...shippedOptions, plugins: [zodAsNamedImport] }, '');
  await addLever('ES module, source maps on', shippedOptions, maps);
  await addLever('ES module, no source map in the bundle', { ...shippedOptions, sourcemap: false }, '');
  await addLever("ES module, the SDK's whole default credential chain", { ...shippedOptions, alias: undefined });
  await addLever("ES module, the SDK's schema keys as literals (an esbuild plugin)", {
    ...shippedOptions,
    plugins: [schemaKeysAsLiterals],
  });
  await addLever('ES module (as shipped)', shippedOptions);
  return levers;
}

/** The X-Ray SDK stubbed out of the bundle (an esbuild alias) and out of the reference (a require hook). */
async function withoutXray(
  row: HandlerRow,
  shippedOptions: BuildOptions,
  scratch: string,
): Promise<LeverSubjects['experiment']> {
  const xrayStub = join(scratch, 'xray-stub.cjs');
  writeFileSync(xrayStub, XRAY_STUB);
  const xrayHook = join(scratch, 'xray-stub-hook.cjs');
  writeFileSync(xrayHook, xrayStubHook(xrayStub));
  const bundleFile = join(scratch, 'without-xray', 'index.mjs');
  await build({
    ...shippedOptions,
    outfile: bundleFile,
    alias: { ...shippedOptions.alias, 'aws-xray-sdk-core': xrayStub },
  });
  return {
    reference: {
      ...row.reference,
      name: 'reference without X-Ray',
      nodeArgs: ['-r', xrayHook],
      samples: noSamples(),
    },
    bundle: { ...row.bundle, name: 'bundle without X-Ray', file: bundleFile, samples: noSamples() },
  };
}
