import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { grantSecretValue } from './app-function.js';

export const REDIS_PORT = 6379;

export interface RedisClusterProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly replicationGroupId: string;
  readonly config: StageConfig['redis'];
  readonly retainData: boolean;
}

/**
 * ElastiCache (Valkey/Redis) replication group in cluster mode, TLS in transit, encrypted at rest,
 * AUTH token generated into Secrets Manager. Cluster mode even with one shard, so the code path
 * (REDIS_CLUSTER=true, one hash slot per script) is the same in dev and prod.
 */
export class RedisCluster extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly authToken: secretsmanager.Secret;
  readonly securityGroup: ec2.SecurityGroup;
  readonly url: string;
  readonly config: StageConfig['redis'];

  constructor(scope: Construct, id: string, props: RedisClusterProps) {
    super(scope, id);
    this.config = props.config;

    // A plain string secret (what functions/config.ts `resolveSecret` reads without a field).
    // ElastiCache AUTH tokens: 16-128 printable characters, none of @ " / (so no punctuation).
    // Kept with the replication group: a retained cluster whose token was deleted cannot be used.
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: `AUTH token of ElastiCache ${props.replicationGroupId}`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `ElastiCache ${props.replicationGroupId}: only the functions that use it`,
      allowAllOutbound: false,
    });

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: `Isolated subnets of ${props.replicationGroupId}`,
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });

    const c = props.config;
    if (c.replicasPerShard < 1) {
      throw new Error(
        'cluster mode needs automatic failover, and a group with failover but no replica fails later updates: give each shard a replica',
      );
    }
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupId: props.replicationGroupId,
      replicationGroupDescription: 'Live sale state: auctions, products, connections',
      engine: c.engine,
      engineVersion: c.engineVersion,
      cacheParameterGroupName: c.parameterGroup,
      cacheNodeType: c.nodeType,
      clusterMode: 'enabled',
      numNodeGroups: c.shards,
      replicasPerNodeGroup: c.replicasPerShard,
      // Required with cluster mode enabled; every stage runs a replica per shard for it.
      automaticFailoverEnabled: true,
      multiAzEnabled: c.multiAz,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      port: REDIS_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      snapshotRetentionLimit: c.snapshotRetentionDays,
      autoMinorVersionUpgrade: true,
    });
    this.replicationGroup.applyRemovalPolicy(props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);

    this.url = `rediss://${this.replicationGroup.attrConfigurationEndPointAddress}:${REDIS_PORT}`;
  }

  /** Node ids as ElastiCache names them in CloudWatch (`<group>-<shard>-<node>`). */
  nodeIds(): string[] {
    const ids: string[] = [];
    for (let shard = 1; shard <= this.config.shards; shard++) {
      for (let node = 1; node <= this.config.replicasPerShard + 1; node++) {
        ids.push(
          `${this.replicationGroup.replicationGroupId}-${String(shard).padStart(4, '0')}-${String(node).padStart(3, '0')}`,
        );
      }
    }
    return ids;
  }

  /** Network path, URL, cluster flag and AUTH token for one function, in one call. */
  connect(fn: lambda.Function): void {
    fn.connections.allowTo(this.securityGroup, ec2.Port.tcp(REDIS_PORT), `${fn.node.id} to Redis`);
    fn.addEnvironment('REDIS_URL', this.url);
    fn.addEnvironment('REDIS_CLUSTER', 'true');
    grantSecretValue(this.authToken, fn);
    fn.addEnvironment('REDIS_AUTH_SECRET_ARN', this.authToken.secretArn);
  }
}
