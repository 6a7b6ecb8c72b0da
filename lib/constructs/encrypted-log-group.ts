import { Fn, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import { DEFAULT_CONFIG } from '../config';
import { allowCloudWatchLogs } from './platform-key';

/**
 * The UUID part of the stack's id (`arn:…:stack/<name>/<uuid>`): new for every stack that is
 * created, even one created again under the same name. Resolved by CloudFormation at deploy.
 */
export function stackUuid(scope: IConstruct): string {
  return Fn.select(2, Fn.split('/', Stack.of(scope).stackId));
}

/** `/<owner's unique name>`: every log group of one construct starts with it. */
export function logGroupPrefix(owner: IConstruct): string {
  return `/${Names.uniqueResourceName(owner, { maxLength: 200, separator: '-' })}`;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

export interface EncryptedLogGroupProps {
  /** The readable part of the group's name, e.g. `submit` (letters, digits and dashes). */
  readonly name: string;
  /** Encrypts the group; CloudWatch Logs may use it for the owner's groups only. */
  readonly encryptionKey: kms.Key;
  /**
   * The construct whose groups these are: its unique name prefixes the group's name.
   * @default - the scope
   */
  readonly owner?: IConstruct;
  /**
   * How long events are kept.
   * @default - the `vod` setting's default, `logRetentionDays` (see docs/configuration.md)
   */
  readonly retention?: logs.RetentionDays;
}

/**
 * A log group named `/<owner's unique name>/<name>-<stack UUID>`, encrypted with a customer managed
 * key and kept when the stack is deleted.
 *
 * The one naming rule of the platform's log groups (the WAF's follow it too, after the prefix WAF
 * requires). The groups are retained, so a name must never be reused: the stack's name would be
 * (deleting the stack keeps its groups, and a stack deployed again under the same name would
 * fail on the first existing group), the stack id's UUID never is. The owner's prefix keeps one
 * construct's groups together, and lets its key admit CloudWatch Logs for `/<owner>/*` alone.
 */
export class EncryptedLogGroup extends logs.LogGroup {
  constructor(scope: Construct, id: string, props: EncryptedLogGroupProps) {
    if (!NAME.test(props.name)) {
      throw new Error(
        `EncryptedLogGroup ${id}: name must be 1-64 letters, digits and dashes, starting with a letter or digit, received ${JSON.stringify(props.name)}`,
      );
    }
    const prefix = logGroupPrefix(props.owner ?? scope);
    super(scope, id, {
      logGroupName: `${prefix}/${props.name}-${stackUuid(scope)}`,
      retention: props.retention ?? (DEFAULT_CONFIG.logRetentionDays as logs.RetentionDays),
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowCloudWatchLogs(props.encryptionKey, `${prefix}/*`);
  }
}
