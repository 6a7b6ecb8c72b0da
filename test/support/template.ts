import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { SynthesizedApp } from './synth';

/** Reading a synthesized template by construct: logical ids, resources, and what roles may do. */

export type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
export type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: any;
  Condition?: any;
  Sid?: string;
};

/** A resource reference without its hash: `Fn::GetAtt [CatalogTable1A2B3C4D, Arn]` → `CatalogTable`. */
export function label(resource: unknown): string {
  const name = (id: string) => id.replace(/[0-9A-F]{8}$/, '');
  if (resource === '*') return '*';
  const value = resource as Record<string, any>;
  if (value.Ref) return name(value.Ref);
  if (value['Fn::GetAtt']) return name(value['Fn::GetAtt'][0]);
  if (value['Fn::Join'])
    return (value['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : label(part))).join('');
  throw new Error(`unexpected resource ${JSON.stringify(resource)}`);
}

/** What a role may do, as `action on resource` lines. */
export function permissions(statements: Statement[]): string[] {
  return statements
    .flatMap((statement) =>
      [statement.Action].flat().flatMap((action) => [statement.Resource].flat().map((r) => `${action} on ${label(r)}`)),
    )
    .sort();
}

/** The synthesized platform stack of one configuration, with lookups by construct. */
export function inspect(app: SynthesizedApp) {
  const { platform, platformTemplate: template } = app;
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const idOf = (construct: IConstruct) =>
    platform.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
  const resourceOf = (construct: IConstruct) => resources[idOf(construct)] as Resource;
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const nameOf = (construct: IConstruct) => label({ Ref: idOf(construct) });
  const getAtt = (construct: IConstruct, attribute = 'Arn') => ({ 'Fn::GetAtt': [idOf(construct), attribute] });
  const statementsOf = (role: IConstruct): Statement[] =>
    ofType('AWS::IAM::Policy')
      .filter(([, policy]) =>
        (policy.Properties.Roles as unknown[]).some(
          (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: idOf(role) }),
        ),
      )
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
  return { platform, template, resources, idOf, resourceOf, ofType, nameOf, getAtt, statementsOf };
}

export type Inspected = ReturnType<typeof inspect>;

/** What every function in the VPC may do on `*`: attach to the VPC, and send traces. */
export const IN_VPC_FUNCTION_PERMISSIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
].map((action) => `${action} on *`);
