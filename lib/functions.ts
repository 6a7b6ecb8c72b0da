import { join } from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { PROJECT_ROOT } from './project-root';

/** A handler module under `lambda/`, e.g. `handlerEntry('transcode', 'submit-jobs')`. */
export const handlerEntry = (folder: string, file: string): string =>
  join(PROJECT_ROOT, 'lambda', folder, `${file}.ts`);

/**
 * An ES module bundle has neither `require` (some CommonJS dependencies call it for Node's own
 * modules) nor `__dirname` (the media probe finds its WebAssembly file beside the bundle by it).
 */
export const ESM_BANNER =
  "import{createRequire as __vodRequire}from'node:module';import{fileURLToPath as __vodPath}from'node:url';import{dirname as __vodDir}from'node:path';const require=__vodRequire(import.meta.url),__filename=__vodPath(import.meta.url),__dirname=__vodDir(__filename);";

/**
 * In Lambda the execution role's credentials are in the environment, so the SDK's default chain
 * (profiles, SSO, web identity, container and instance metadata, with the STS and SSO clients they
 * need) is replaced in the bundles by the environment alone: about 100 KiB less to compile at each
 * cold start. The path is relative to the project root, where esbuild runs.
 */
export const LAMBDA_CREDENTIALS_ALIAS = {
  '--alias:@aws-sdk/credential-provider-node': './lambda/adapters/lambda-credentials.ts',
};

/**
 * How every handler is bundled: one minified ES module with the AWS SDK v3 inside, at the
 * versions the lock file pins rather than the runtime's. An ES module bundle of the packages'
 * `module` builds lets esbuild drop what a handler never uses, and loads faster than CommonJS
 * (`npm run bench:cold-start`). The source map ships beside the bundle to decode stack traces
 * with; no function sets `--enable-source-maps`, with which Node would parse it at every cold start.
 */
export const HANDLER_BUNDLING = {
  format: nodejs.OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: ESM_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  externalModules: [],
  esbuildArgs: LAMBDA_CREDENTIALS_ALIAS,
} satisfies nodejs.BundlingOptions;

/** The file Lambda loads: `index.mjs` for an ES module bundle. */
export const HANDLER_FILE = 'index.mjs';

/**
 * What every handler function of the platform shares: the newest Node.js runtime on Graviton
 * (cheaper per GB-second), active tracing, and the bundling above.
 */
export const HANDLER_DEFAULTS = {
  handler: 'handler',
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  tracing: lambda.Tracing.ACTIVE,
  projectRoot: PROJECT_ROOT,
  depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
  bundling: HANDLER_BUNDLING,
} satisfies Partial<nodejs.NodejsFunctionProps>;

/**
 * What Lambda does with a function's role to attach it to a VPC: create, describe and remove its
 * network interfaces. EC2 offers no resource-level permissions for the Describe calls, and the
 * interfaces' ids do not exist before Lambda creates them, hence `*`.
 */
export function allowVpcAttachment(role: iam.IRole): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
  );
}
