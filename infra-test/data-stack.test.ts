import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resources, type SynthesizedStage, synthesizeStage } from './support/synth.js';

// Both stages in one file: the prod differences (Multi-AZ, retention, protection) are the point.
let dev: SynthesizedStage;
let prod: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
  prod = synthesizeStage('prod');
});

describe('queues', () => {
  it('persist and fanout each have a DLQ (5 and 3 receives), SQS-managed encryption, named by stage', () => {
    const queues = Object.values(resources(dev.data, 'AWS::SQS::Queue')).map((q) => q.Properties ?? {});
    expect(queues).toHaveLength(4);
    for (const q of queues) expect(q.SqsManagedSseEnabled).toBe(true);
    dev.data.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'live-sale-dev-persist',
      // Shorter than the DLQ's 14 days (issue 19, item 12).
      MessageRetentionPeriod: 4 * 86_400,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PersistDeadLetter'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    dev.data.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'live-sale-dev-fanout',
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FanoutDeadLetter'), 'Arn'] },
        maxReceiveCount: 3,
      },
    });
    dev.data.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'live-sale-dev-persist-dlq',
      MessageRetentionPeriod: 14 * 86_400,
    });
  });

  it('every queue policy denies requests without TLS', () => {
    const policies = Object.values(resources(dev.data, 'AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(4);
    for (const p of policies) {
      expect(p.Properties?.PolicyDocument).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      });
    }
  });

  it('prod keeps queues (and the events in them) when the stack is deleted', () => {
    prod.data.hasResource('AWS::SQS::Queue', {
      Properties: { QueueName: 'live-sale-prod-persist' },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('Redis (ElastiCache)', () => {
  it('is a cluster-mode replication group with TLS required, encryption at rest, AUTH token from Secrets Manager', () => {
    dev.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ReplicationGroupId: 'live-sale-dev',
      Engine: 'valkey',
      ClusterMode: 'enabled',
      CacheParameterGroupName: 'default.valkey8.cluster.on',
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      AutomaticFailoverEnabled: true,
      Port: 6379,
      AuthToken: {
        'Fn::Join': [
          '',
          Match.arrayWith(['{{resolve:secretsmanager:', { Ref: Match.stringLikeRegexp('RedisAuthToken') }]),
        ],
      },
    });
  });

  it('dev is one small shard with a replica; prod is 2 shards x (primary + replica), Multi-AZ, with automatic failover', () => {
    // A cluster-mode group with failover on and no replica fails later updates (issue 19, item 11).
    dev.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumNodeGroups: 1,
      ReplicasPerNodeGroup: 1,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      CacheNodeType: 'cache.t4g.small',
    });
    prod.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumNodeGroups: 2,
      ReplicasPerNodeGroup: 1,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      CacheNodeType: 'cache.r7g.large',
    });
  });

  it('lives in the isolated subnets, and its security group admits nothing by itself', () => {
    dev.data.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: [
        { Ref: Match.stringLikeRegexp('VpcdataSubnet1') },
        { Ref: Match.stringLikeRegexp('VpcdataSubnet2') },
      ],
    });
    const sg = Object.entries(resources(dev.data, 'AWS::EC2::SecurityGroup')).find(([id]) =>
      id.startsWith('RedisSecurityGroup'),
    );
    expect(sg?.[1].Properties?.SecurityGroupIngress).toBeUndefined();
  });
});

describe('PostgreSQL (Aurora Serverless v2 + RDS Proxy)', () => {
  it('is encrypted Aurora PostgreSQL with serverless v2 capacity and generated credentials', () => {
    dev.data.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      DatabaseName: 'livesale',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      EnableCloudwatchLogsExports: ['postgresql'],
      MasterUserPassword: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith(['{{resolve:secretsmanager:'])],
      }),
    });
    dev.data.resourceCountIs('AWS::RDS::DBInstance', 1);
    dev.data.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
    prod.data.resourceCountIs('AWS::RDS::DBInstance', 2);
    prod.data.hasResourceProperties('AWS::RDS::DBCluster', {
      DeletionProtection: true,
      BackupRetentionPeriod: 14,
    });
    prod.data.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot' });
  });

  it('is reached through an RDS Proxy that requires TLS and knows the master and the application user', () => {
    dev.data.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [
        Match.objectLike({ SecretArn: { Ref: Match.stringLikeRegexp('DatabaseClusterSecretAttachment') } }),
        Match.objectLike({ SecretArn: { Ref: Match.stringLikeRegexp('DatabaseAppSecretAttachment') } }),
      ],
    });
  });

  it('the cluster admits the proxy only', () => {
    const ingress = Object.values(resources(dev.data, 'AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify(r.Properties?.GroupId).includes('DatabaseClusterSecurityGroup'),
    );
    expect(ingress).toHaveLength(1);
    expect(JSON.stringify(ingress[0]?.Properties?.SourceSecurityGroupId)).toMatch(
      /DatabaseClusterProxyProxySecurityGroup/,
    );
    const sg = Object.entries(resources(dev.data, 'AWS::EC2::SecurityGroup')).find(([id]) =>
      id.startsWith('DatabaseClusterSecurityGroup'),
    );
    expect(sg?.[1].Properties?.SecurityGroupIngress).toBeUndefined();
  });
});

describe('network', () => {
  it('has interface endpoints for SQS and Secrets Manager with private DNS, closed to the VPC at large', () => {
    const endpoints = Object.values(resources(dev.data, 'AWS::EC2::VPCEndpoint')).map(
      (e) => e.Properties ?? {},
    );
    const services = endpoints.map((e) => JSON.stringify(e.ServiceName));
    expect(services.some((s) => s.includes('.sqs'))).toBe(true);
    expect(services.some((s) => s.includes('.secretsmanager'))).toBe(true);
    for (const e of endpoints) expect(e.PrivateDnsEnabled).toBe(true);
    for (const [id, sg] of Object.entries(resources(dev.data, 'AWS::EC2::SecurityGroup'))) {
      if (id.includes('Sqs') || id.includes('SecretsManager'))
        expect(sg.Properties?.SecurityGroupIngress).toBeUndefined();
    }
  });

  it('has no execute-api endpoint: with private DNS it would capture the public management API', () => {
    const services = Object.values(resources(dev.data, 'AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify(e.Properties?.ServiceName),
    );
    expect(services.some((s) => s.includes('execute-api'))).toBe(false);
  });

  it('NAT gateways per stage config (dev 1, prod one per AZ), flow logs of rejected traffic', () => {
    dev.data.resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.data.resourceCountIs('AWS::EC2::NatGateway', 2);
    dev.data.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
    });
  });
});

describe('secrets', () => {
  it('JWT and webhook secrets are generated, plain strings (no JSON template)', () => {
    for (const prefix of ['JwtSecret', 'WebhookSecret']) {
      const secret = Object.entries(resources(dev.data, 'AWS::SecretsManager::Secret')).find(([id]) =>
        id.startsWith(prefix),
      );
      expect(secret?.[1].Properties?.GenerateSecretString).toEqual({
        ExcludePunctuation: true,
        PasswordLength: 64,
      });
    }
  });

  it('prod retains them when the stack is deleted', () => {
    prod.data.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Description: Match.stringLikeRegexp('HS256') },
      DeletionPolicy: 'Retain',
    });
  });
});
