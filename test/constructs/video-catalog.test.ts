import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CATALOG_SCHEMA } from '../../lambda/api/routes';
import { type CatalogCall, VideoCatalog } from '../../lib/constructs/video-catalog';
import { synthesizeDefault } from '../support/synth';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** The statements a role gets from `grantCalls(calls)` on a fresh catalog. */
function statementsGrantedFor(calls: readonly CatalogCall[]): { statements: Statement[]; stack: Stack } {
  const stack = new Stack();
  const catalog = new VideoCatalog(stack, 'Catalog');
  const role = new iam.Role(stack, 'Handler', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  catalog.grantCalls(role, calls);
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
  return { statements: policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement), stack };
}

describe('VideoCatalog', () => {
  const { platformTemplate: template, platform } = synthesizeDefault();
  const tableId = platform.getLogicalId(platform.catalog.table.node.defaultChild as never);
  const keyId = platform.getLogicalId(platform.catalog.encryptionKey.node.defaultChild as never);
  const table = template.toJSON().Resources[tableId];

  it('bills on demand, so idle costs nothing and bursts need no capacity planning', () => {
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('keys videos by id and lists an owner’s videos newest first through the byOwner index', () => {
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: CATALOG_SCHEMA.partitionKey, KeyType: 'HASH' }]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byOwner',
        KeySchema: [
          { AttributeName: 'ownerId', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'ownerId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ]),
    );
  });

  it('keeps point-in-time recovery on', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('encrypts the table with its own rotating customer managed key', () => {
    expect(table.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('protects the system of record from deletion and keeps it when the stack goes', () => {
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(template.toJSON().Resources[keyId].DeletionPolicy).toBe('Retain');
  });

  it('grants Query on the owner index only, never on the table', () => {
    // Act
    const { statements } = statementsGrantedFor(['Query']);

    // Assess
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'dynamodb:Query',
      Resource: {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^CatalogTable/), 'Arn'] }, '/index/byOwner']],
      },
    });
    expect(statements.filter((s) => [s.Action].flat().includes('dynamodb:Query'))).toHaveLength(1);
  });

  it('grants item calls on the table itself, with only decrypt for reads', () => {
    const { statements } = statementsGrantedFor(['GetItem']);

    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
    ]);
  });

  it('grants writers encrypt, decrypt and data keys, and nothing they do not call', () => {
    const { statements } = statementsGrantedFor(['GetItem', 'UpdateItem']);

    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
  });

  it('grants nothing for an empty list of calls', () => {
    const { statements } = statementsGrantedFor([]);

    expect(statements).toEqual([]);
  });

  it('refuses a call it does not know, naming it and the known ones', () => {
    const stack = new Stack();
    const catalog = new VideoCatalog(stack, 'Catalog');
    const role = new iam.Role(stack, 'Handler', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    expect(() => catalog.grantCalls(role, ['Scan' as CatalogCall])).toThrow(
      'VideoCatalog: expected catalog calls among GetItem, PutItem, UpdateItem, DeleteItem, Query, received "Scan"',
    );
  });
});
