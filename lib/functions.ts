import { join } from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root: handlers are bundled from it with its lock file. */
export const PROJECT_ROOT = join(__dirname, '..');

/** A handler module under `lambda/`, e.g. `handlerEntry('transcode', 'submit-jobs')`. */
export const handlerEntry = (folder: string, file: string): string =>
  join(PROJECT_ROOT, 'lambda', folder, `${file}.ts`);

/**
 * What every handler function of the platform shares: the newest Node.js runtime on Graviton
 * (cheaper per GB-second), active tracing, and one minified bundle with the AWS SDK v3 inside, at
 * the versions the lock file pins rather than the runtime's.
 */
export const HANDLER_DEFAULTS = {
  handler: 'handler',
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  tracing: lambda.Tracing.ACTIVE,
  projectRoot: PROJECT_ROOT,
  depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
  bundling: { minify: true, sourceMap: true, sourcesContent: false, externalModules: [] },
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
