import { join } from 'node:path';
import { type Duration, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { GuardRule, NagRule } from '../checks';
import { PROJECT_ROOT } from '../project-root';
import { EncryptedLogGroup } from './encrypted-log-group';

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
 * A security group for handlers in the platform's isolated subnets: HTTPS out to anywhere, which
 * reaches nothing but the VPC endpoints there. The gateway endpoints (S3, DynamoDB) have no
 * security group to name, hence no narrower peer. Give it to several functions to share it.
 */
export function handlerSecurityGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  description: string,
): ec2.SecurityGroup {
  const group = new ec2.SecurityGroup(scope, id, { vpc, description, allowAllOutbound: false });
  group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs through the VPC endpoints (no other route)');
  return group;
}

/** Where a function attaches to a VPC. */
export interface PlatformFunctionVpc {
  readonly vpc: ec2.IVpc;
  /** The subnets of its network interfaces. */
  readonly subnets: ec2.SubnetSelection;
  /**
   * The security group it runs in.
   * @default - a group of its own, `<id>SecurityGroup`, made by `handlerSecurityGroup`
   */
  readonly securityGroup?: ec2.ISecurityGroup;
}

export interface PlatformFunctionProps {
  /** The handler module (`handlerEntry(folder, file)`), exporting `handler`. */
  readonly entry: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** What its execution role is for, shown in the IAM console. */
  readonly roleDescription: string;
  /** The readable part of its log group's name (see `EncryptedLogGroup`), e.g. `submit`. */
  readonly logName: string;
  /** Encrypts its logs. */
  readonly logKey: kms.Key;
  /**
   * How long its logs are kept.
   * @default - the `vod` setting's default, `logRetentionDays` (see docs/configuration.md)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory in MB (CPU grows with it), 128 to 10240.
   * @default 512
   */
  readonly memorySize?: number;
  /** Longest an invocation may run. */
  readonly timeout: Duration;
  /**
   * Its environment variables.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The VPC it runs in.
   * @default - none: then `outsideVpcReason` must say why
   */
  readonly vpc?: PlatformFunctionVpc;
  /**
   * Why it runs outside the VPC, acknowledging the Control Tower rule that asks for one.
   * @default - none; required without `vpc`
   */
  readonly outsideVpcReason?: string;
  /**
   * esbuild arguments and command hooks on top of `HANDLER_BUNDLING`.
   * @default - none
   */
  readonly bundling?: Pick<nodejs.BundlingOptions, 'esbuildArgs' | 'commandHooks'>;
  /**
   * Retries of a failed asynchronous invocation, 0 to 2.
   * @default 2 (Lambda's own)
   */
  readonly retryAttempts?: number;
  /**
   * Oldest an asynchronous event may be before Lambda drops it.
   * @default Duration.hours(6) (Lambda's own)
   */
  readonly maxEventAge?: Duration;
  /**
   * Where Lambda puts an asynchronous event that failed every retry.
   * @default - none
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** Refuses props that Lambda would refuse at deploy or that leave a check's finding unexplained. */
function checkProps(id: string, props: PlatformFunctionProps): void {
  const fail = (what: string, received: unknown) => {
    throw new Error(`PlatformFunction ${id}: ${what}, received ${JSON.stringify(received)}`);
  };
  const memorySize = props.memorySize ?? 512;
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
    fail('memorySize must be a whole number of MB from 128 to 10240', memorySize);
  }
  if (!props.timeout.isUnresolved()) {
    const seconds = props.timeout.toSeconds();
    if (seconds < 1 || seconds > 900) fail('timeout must be from 1 s to 900 s (15 minutes)', `${seconds} s`);
  }
  if (props.retryAttempts !== undefined && ![0, 1, 2].includes(props.retryAttempts)) {
    fail('retryAttempts must be 0, 1 or 2', props.retryAttempts);
  }
  for (const [name, value] of Object.entries({ description: props.description, role: props.roleDescription })) {
    if (!Token.isUnresolved(value) && value.trim() === '') fail(`${name} must say what it is for`, value);
  }
  const reason = props.outsideVpcReason;
  if (props.vpc && reason !== undefined) {
    fail('outsideVpcReason applies only to a function outside a VPC; this one has vpc', reason);
  }
  if (!props.vpc && (reason === undefined || reason.trim().length < 40)) {
    fail('outsideVpcReason must say, in 40 characters or more, why a function without vpc needs none', reason);
  }
}

/**
 * A platform handler: a Node.js function bundled by `HANDLER_BUNDLING` with `HANDLER_DEFAULTS`,
 * with an execution role of its own that starts with no permission but writing its encrypted
 * log group (`EncryptedLogGroup`) and its X-Ray traces, and optionally attached to a VPC (then
 * the role may manage the function's network interfaces, and nothing else in EC2).
 *
 * The role, the log group and its own security group are made before the function, which needs
 * them, so they sit beside it: `<id>Role`, `<id>Logs`, `<id>SecurityGroup`. Those are the ids the
 * API and the pipeline gave them before this recipe, so their deployed roles and retained log
 * groups keep their logical ids rather than being replaced.
 */
export class PlatformFunction extends nodejs.NodejsFunction {
  /** The function's own role; grant it exactly what its handler calls. */
  public readonly executionRole: iam.Role;
  /** Its log group. */
  public readonly functionLogGroup: EncryptedLogGroup;
  /** The security group it runs in; present with `vpc`. */
  public readonly securityGroup?: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    checkProps(id, props);
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.roleDescription,
    });
    const logGroup = new EncryptedLogGroup(scope, `${id}Logs`, {
      name: props.logName,
      encryptionKey: props.logKey,
      retention: props.logRetention,
    });
    logGroup.grantWrite(role);
    const attachment = props.vpc;
    const securityGroup =
      attachment &&
      (attachment.securityGroup ??
        handlerSecurityGroup(scope, `${id}SecurityGroup`, attachment.vpc, `Function ${id}: HTTPS out only`));
    super(scope, id, {
      ...HANDLER_DEFAULTS,
      bundling: {
        ...HANDLER_BUNDLING,
        ...props.bundling,
        esbuildArgs: { ...HANDLER_BUNDLING.esbuildArgs, ...props.bundling?.esbuildArgs },
      },
      entry: props.entry,
      description: props.description,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      logGroup,
      role,
      environment: { ...props.environment },
      ...(attachment && securityGroup
        ? { vpc: attachment.vpc, vpcSubnets: attachment.subnets, securityGroups: [securityGroup] }
        : {}),
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      deadLetterQueue: props.deadLetterQueue,
    });
    this.executionRole = role;
    this.functionLogGroup = logGroup;
    this.securityGroup = securityGroup;
    if (attachment) this.allowVpcAttachment();
    else this.acknowledgeOutsideVpc(props.outsideVpcReason as string);
  }

  /**
   * What Lambda does with a function's role to attach it to a VPC: create, describe and remove its
   * network interfaces. EC2 offers no resource-level permissions for the Describe calls, and the
   * interfaces' ids do not exist before Lambda creates them, hence `*`.
   */
  private allowVpcAttachment(): void {
    this.executionRole.addToPrincipalPolicy(
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
    Validations.of(this.executionRole).acknowledge({
      id: NagRule.iamWildcardResource,
      reason:
        'Lambda needs ec2:*NetworkInterface* to attach the function to its VPC and X-Ray needs PutTraceSegments/PutTelemetryRecords; neither service offers resource-level permissions for these calls (interface ids do not exist beforehand).',
    });
  }

  private acknowledgeOutsideVpc(reason: string): void {
    Validations.of(this.executionRole).acknowledge({
      id: NagRule.iamWildcardResource,
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions, so they alone name Resource "*" in this function\'s role.',
    });
    Validations.of(this).acknowledge({ id: GuardRule.lambdaInsideVpc, reason });
  }
}
