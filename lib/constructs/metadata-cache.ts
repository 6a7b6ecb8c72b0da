import { Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_CONFIG, settingRange } from '../config';
import { PlatformKey } from './platform-key';

/** The port of ElastiCache Serverless's primary endpoint; it only speaks TLS. */
export const CACHE_PORT = 6379;

export interface MetadataCacheProps {
  /** The bucket that receives the VPC's flow logs (under `vpc-flow-logs/`). */
  readonly flowLogBucket: s3.IBucket;
  /**
   * Most data the cache may hold, in GB: a hard cap on its storage cost.
   * @default - the `vod` setting's default, `cacheMaxDataStorageGb` (see docs/configuration.md)
   */
  readonly maxDataStorageGb?: number;
  /**
   * Most ElastiCache Processing Units the cache may use per second: a hard cap on its compute
   * cost. Beyond it the cache throttles requests, and readers fall back to the catalog.
   * @default - the `vod` setting's default, `cacheMaxEcpuPerSecond` (see docs/configuration.md)
   */
  readonly maxEcpuPerSecond?: number;
  /**
   * Major version of the Valkey engine.
   * @default '9'
   */
  readonly majorEngineVersion?: string;
  /**
   * Address range of the VPC; two /24 subnets are cut from it.
   * @default '10.0.0.0/22'
   */
  readonly cidr?: string;
  /**
   * What happens to the cache's encryption key when the stack is deleted. The cache only holds
   * copies of catalog entries, so nothing is lost with it.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

function checkRange(name: string, value: number, { min, max }: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`MetadataCache: ${name} must be an integer from ${min} to ${max}, received ${value}`);
  }
  return value;
}

/**
 * The metadata cache and the network it lives in: a VPC with two isolated subnets (no NAT
 * gateway, no internet gateway; AWS services are reached through VPC endpoints), flow logs to
 * the log bucket, and an ElastiCache Serverless Valkey cache encrypted with a customer managed
 * key, with usage limits that bound its cost. Only the security groups let in through
 * `allowClientsFrom` may reach the cache (TLS on 6379).
 */
export class MetadataCache extends Construct {
  public readonly vpc: ec2.Vpc;
  /** The isolated subnets that hold the cache, the interface endpoints and the functions. */
  public readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  public readonly cache: elasticache.CfnServerlessCache;
  /** Encrypts the cache's data at rest. */
  public readonly encryptionKey: PlatformKey;
  /** The cache's security group: it admits 6379 only from the clients let in. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Host name of the cache's primary endpoint. */
  public readonly endpointAddress: string;
  /** Port of the cache's primary endpoint (6379). */
  public readonly endpointPort: string;
  /** `host:port` of the primary endpoint, as clients take it. */
  public readonly endpoint: string;
  private readonly interfaceEndpoints = new Map<string, ec2.InterfaceVpcEndpoint>();

  constructor(scope: Construct, id: string, props: MetadataCacheProps) {
    super(scope, id);
    const maxDataStorageGb = checkRange(
      'maxDataStorageGb',
      props.maxDataStorageGb ?? DEFAULT_CONFIG.cacheMaxDataStorageGb,
      settingRange('cacheMaxDataStorageGb'),
    );
    const maxEcpuPerSecond = checkRange(
      'maxEcpuPerSecond',
      props.maxEcpuPerSecond ?? DEFAULT_CONFIG.cacheMaxEcpuPerSecond,
      settingRange('cacheMaxEcpuPerSecond'),
    );
    const majorEngineVersion = props.majorEngineVersion ?? '9';
    if (!/^\d+$/.test(majorEngineVersion)) {
      throw new Error(
        `MetadataCache: majorEngineVersion must be a major version number such as "9", received ${JSON.stringify(majorEngineVersion)}`,
      );
    }

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.0.0.0/22'),
      // In an environment-agnostic stack these are Fn::GetAZs picks, so synth needs no lookup.
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // Restricting the default security group takes a custom-resource Lambda outside the VPC
      // with an AWS managed policy; nothing here is ever placed in the default group.
      restrictDefaultSecurityGroup: false,
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: {
        // The log bucket is the cheapest destination and needs no extra key.
        ToLogBucket: {
          destination: ec2.FlowLogDestination.toS3(props.flowLogBucket, 'vpc-flow-logs/'),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });

    this.encryptionKey = new PlatformKey(this, 'Key', {
      description: 'Encrypts the video metadata cache',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'Metadata cache: TLS on 6379 from its clients only',
      allowAllOutbound: false,
    });

    this.cache = new elasticache.CfnServerlessCache(this, 'Cache', {
      serverlessCacheName: Names.uniqueResourceName(this, { maxLength: 40, separator: '-' }).toLowerCase(),
      description: 'Read-through cache of video metadata; the catalog is the system of record',
      engine: 'valkey',
      majorEngineVersion,
      kmsKeyId: this.encryptionKey.keyArn,
      securityGroupIds: [this.securityGroup.securityGroupId],
      subnetIds: this.vpc.selectSubnets(this.subnets).subnetIds,
      cacheUsageLimits: {
        dataStorage: { maximum: maxDataStorageGb, unit: 'GB' },
        ecpuPerSecond: { maximum: maxEcpuPerSecond },
      },
      // A cache rebuilds itself from the catalog; snapshots would only cost.
      snapshotRetentionLimit: 0,
    });

    this.endpointAddress = this.cache.attrEndpointAddress;
    this.endpointPort = this.cache.attrEndpointPort;
    this.endpoint = `${this.endpointAddress}:${this.endpointPort}`;
  }

  /** Lets the members of the given security groups reach the cache on 6379 (TLS), and only there. */
  public allowClientsFrom(client: ec2.IConnectable): void {
    this.securityGroup.connections.allowFrom(client, ec2.Port.tcp(CACHE_PORT), 'Cache clients (TLS)');
  }

  /**
   * An interface endpoint for an AWS service that clients inside the VPC call, reachable on 443
   * from the given client only. Created on first request and shared afterwards, so a service
   * nobody needs costs nothing.
   */
  public addInterfaceEndpoint(
    service: ec2.InterfaceVpcEndpointAwsService,
    client: ec2.IConnectable,
  ): ec2.InterfaceVpcEndpoint {
    if (Token.isUnresolved(service.shortName)) {
      throw new Error('MetadataCache: the endpoint service must have a literal name, received a token');
    }
    let endpoint = this.interfaceEndpoints.get(service.shortName);
    if (!endpoint) {
      const id = `Endpoint-${service.shortName}`;
      endpoint = this.vpc.addInterfaceEndpoint(id, {
        service,
        subnets: this.subnets,
        privateDnsEnabled: true,
        // Not open to the whole VPC: each client is let in by name below. An endpoint only answers.
        open: false,
        securityGroups: [
          new ec2.SecurityGroup(this, `${id}SecurityGroup`, {
            vpc: this.vpc,
            description: `Interface endpoint for ${service.shortName}: HTTPS from its clients only`,
            allowAllOutbound: false,
          }),
        ],
      });
      this.interfaceEndpoints.set(service.shortName, endpoint);
    }
    endpoint.connections.allowDefaultPortFrom(client, `Calls to ${service.shortName}`);
    return endpoint;
  }
}
