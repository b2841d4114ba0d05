import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import type { DurableQueue } from './durable-queue.js';
import type { RedisCluster } from './redis-cluster.js';

export interface MonitoringProps {
  readonly prefix: string;
  readonly stage: StageConfig;
  readonly functions: Record<string, lambda.Function>;
  readonly httpApi: apigwv2.HttpApi;
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly webSocketStageName: string;
  readonly queues: Record<string, DurableQueue>;
  readonly redis: RedisCluster;
  readonly databaseClusterIdentifier: string;
}

/**
 * Alarms on the signals that mean "a guarantee is at risk" (an event stuck in a DLQ, the writer
 * falling behind, errors, throttles, slow answers, Redis saturation), all to one SNS topic, and one
 * dashboard with the same signals side by side.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stage, prefix } = props;
    const t = stage.alarms;

    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: `${prefix} alarms`, enforceSSL: true });
    if (t.email) this.topic.addSubscription(new subscriptions.EmailSubscription(t.email));

    for (const [name, q] of Object.entries(props.queues)) {
      this.alarm(`${name}DlqNotEmpty`, {
        metric: q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: `${name} events reached the dead-letter queue: inspect and redrive (docs/DEPLOY.md).`,
      });
    }
    const persist = props.queues.persist;
    if (persist) {
      this.alarm('PersistBacklogAge', {
        metric: persist.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: t.persistQueueOldestMessageSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        alarmDescription:
          'Accepted events wait to reach PostgreSQL: is the writer failing or the database down?',
      });
    }

    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}Errors`, {
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: t.lambdaErrorsPer5Min,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: `Function ${name} reports errors (uncaught or whole-invocation failures).`,
      });
      this.alarm(`${name}Throttles`, {
        metric: fn.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: `Function ${name} is throttled: Lambda concurrency quota reached (docs/DEPLOY.md, capacity).`,
      });
    }

    this.alarm('HttpLatencyP99', {
      metric: props.httpApi.metricLatency({ period: Duration.minutes(1), statistic: 'p99' }),
      threshold: t.httpP99LatencyMs,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      alarmDescription: `p99 latency of the HTTP API above ${t.httpP99LatencyMs} ms.`,
    });
    this.alarm('Http5xx', {
      metric: props.httpApi.metricServerError({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      alarmDescription: 'The HTTP API answered 5xx: no input should ever cause one.',
    });

    const redisCpu = this.redisMax(
      props.redis,
      'EngineCPUUtilization',
      'cpu',
      'Redis engine CPU % (max node)',
    );
    const redisMemory = this.redisMax(
      props.redis,
      'DatabaseMemoryUsagePercentage',
      'mem',
      'Redis memory % (max node)',
    );
    this.alarm('RedisCpu', {
      metric: redisCpu,
      threshold: t.redisCpuPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      alarmDescription: 'Redis engine thread is saturated on a node: every decision goes through it.',
    });
    this.alarm('RedisMemory', {
      metric: redisMemory,
      threshold: t.redisMemoryPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      alarmDescription: 'Redis memory is filling up: eviction would lose live state.',
    });

    this.dashboard = this.buildDashboard(props, redisCpu, redisMemory);
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
    alarm.addOkAction(new cwActions.SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }

  /** The worst node: one hot shard is the bottleneck, an average would hide it. */
  private redisMax(
    redis: RedisCluster,
    metricName: string,
    idPrefix: string,
    label: string,
  ): cloudwatch.IMetric {
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    redis.nodeIds().forEach((nodeId, i) => {
      usingMetrics[`${idPrefix}${i}`] = new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { CacheClusterId: nodeId },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
    });
    return new cloudwatch.MathExpression({
      expression: `MAX([${Object.keys(usingMetrics).join(',')}])`,
      usingMetrics,
      label,
      period: Duration.minutes(1),
    });
  }

  private buildDashboard(
    props: MonitoringProps,
    redisCpu: cloudwatch.IMetric,
    redisMemory: cloudwatch.IMetric,
  ) {
    const fns = Object.entries(props.functions);
    const perFunction = (title: string, metric: (fn: lambda.Function) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({
        title,
        width: 8,
        left: fns.map(([name, fn]) => (metric(fn) as cloudwatch.Metric).with({ label: name })),
      });
    const ws = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.webSocketApi.apiId, Stage: props.webSocketStageName },
        statistic: 'Sum',
        period: Duration.minutes(1),
        label: metricName,
      });
    const queues = Object.entries(props.queues);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.prefix });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'HTTP API requests and errors',
        width: 8,
        left: [props.httpApi.metricCount({ statistic: 'Sum', period: Duration.minutes(1) })],
        right: [
          props.httpApi.metricClientError({ statistic: 'Sum', period: Duration.minutes(1) }),
          props.httpApi.metricServerError({ statistic: 'Sum', period: Duration.minutes(1) }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'HTTP API latency (ms)',
        width: 8,
        left: ['p50', 'p90', 'p99'].map((statistic) =>
          props.httpApi.metricLatency({ statistic, period: Duration.minutes(1), label: statistic }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'WebSocket: connects, messages in/out',
        width: 8,
        left: [ws('ConnectCount'), ws('MessageCount')],
        right: [ws('ClientError'), ws('IntegrationError')],
      }),
    );
    dashboard.addWidgets(
      perFunction('Invocations', (fn) => fn.metricInvocations({ period: Duration.minutes(1) })),
      perFunction('Errors', (fn) => fn.metricErrors({ period: Duration.minutes(1) })),
      perFunction('Duration p99 (ms)', (fn) =>
        fn.metricDuration({ statistic: 'p99', period: Duration.minutes(1) }),
      ),
    );
    dashboard.addWidgets(
      perFunction('Throttles', (fn) => fn.metricThrottles({ period: Duration.minutes(1) })),
      perFunction('Concurrent executions', (fn) =>
        fn.metric('ConcurrentExecutions', { statistic: 'Maximum', period: Duration.minutes(1) }),
      ),
      new cloudwatch.GraphWidget({
        title: 'Redis (max node)',
        width: 8,
        left: [redisCpu, redisMemory],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queues: visible messages',
        width: 8,
        left: queues.map(([name, q]) =>
          q.queue.metricApproximateNumberOfMessagesVisible({ label: name, period: Duration.minutes(1) }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Queues: age of oldest message (s)',
        width: 8,
        left: queues.map(([name, q]) =>
          q.queue.metricApproximateAgeOfOldestMessage({ label: name, period: Duration.minutes(1) }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues (must stay 0)',
        width: 8,
        left: queues.map(([name, q]) =>
          q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            label: `${name} DLQ`,
            period: Duration.minutes(1),
          }),
        ),
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Aurora capacity (ACU) and connections',
        width: 12,
        left: [
          new cloudwatch.Metric({
            namespace: 'AWS/RDS',
            metricName: 'ServerlessDatabaseCapacity',
            dimensionsMap: { DBClusterIdentifier: props.databaseClusterIdentifier },
            statistic: 'Maximum',
            period: Duration.minutes(1),
          }),
        ],
        right: [
          new cloudwatch.Metric({
            namespace: 'AWS/RDS',
            metricName: 'DatabaseConnections',
            dimensionsMap: { DBClusterIdentifier: props.databaseClusterIdentifier },
            statistic: 'Maximum',
            period: Duration.minutes(1),
          }),
        ],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarms }),
    );
    return dashboard;
  }
}
