import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CATALOG_SCHEMA, type RouteAccess } from '../../lambda/api/routes';
import { PlatformKey } from './platform-key';

/** A DynamoDB call a handler makes on the catalog (see `RouteAccess`). */
export type CatalogCall = RouteAccess['catalog'][number];

/** Calls that only read; the others write and so also need to encrypt. */
const READS: ReadonlySet<CatalogCall> = new Set<CatalogCall>(['GetItem', 'Query']);
const CATALOG_CALLS: readonly CatalogCall[] = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'];

export interface VideoCatalogProps {
  /**
   * What happens to the table and its key when the stack is deleted. The catalog is the system
   * of record: every video's owner, visibility and status.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse to delete the table, even through CloudFormation, until this is switched off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The video catalog: a DynamoDB table keyed by video `id`, with the `byOwner` index (owner, then
 * creation time) that lists a user's videos newest first. On-demand billing, point-in-time
 * recovery, encrypted with a rotating customer managed key, protected from deletion.
 */
export class VideoCatalog extends Construct {
  public readonly table: dynamodb.Table;
  /** Encrypts the table, its index and its backups. */
  public readonly encryptionKey: PlatformKey;
  /** Name of the index that lists a user's videos, newest first. */
  public readonly ownerIndexName: string = CATALOG_SCHEMA.ownerIndexName;

  constructor(scope: Construct, id: string, props: VideoCatalogProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = new PlatformKey(this, 'Key', { description: 'Encrypts the video catalog', removalPolicy });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: CATALOG_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: CATALOG_SCHEMA.ownerIndexName,
      partitionKey: { name: CATALOG_SCHEMA.ownerIndexPartitionKey, type: dynamodb.AttributeType.STRING },
      // ISO 8601 timestamps sort as strings.
      sortKey: { name: CATALOG_SCHEMA.ownerIndexSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /**
   * Lets the grantee make exactly the given catalog calls: `Query` on the owner index only, the
   * item calls on the table only, and the key for what they need (decrypt to read; encrypt,
   * decrypt and data keys to write). Nothing is granted for an empty list.
   */
  public grantCalls(grantee: iam.IGrantable, calls: readonly CatalogCall[]): iam.Grant[] {
    for (const call of calls) {
      if (!CATALOG_CALLS.includes(call)) {
        throw new Error(`VideoCatalog: expected catalog calls among ${CATALOG_CALLS.join(', ')}, received "${call}"`);
      }
    }
    const unique = [...new Set(calls)];
    const itemActions = unique.filter((call) => call !== 'Query').map((call) => `dynamodb:${call}`);
    const grants: iam.Grant[] = [];
    if (itemActions.length > 0) {
      grants.push(iam.Grant.addToPrincipal({ grantee, actions: itemActions, resourceArns: [this.table.tableArn] }));
    }
    if (unique.includes('Query')) {
      grants.push(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['dynamodb:Query'],
          resourceArns: [`${this.table.tableArn}/index/${this.ownerIndexName}`],
        }),
      );
    }
    if (unique.length > 0) {
      const writes = unique.some((call) => !READS.has(call));
      grants.push(
        this.encryptionKey.grant(
          grantee,
          ...(writes ? ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']),
        ),
      );
    }
    return grants;
  }
}
