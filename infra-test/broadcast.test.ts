import { beforeAll, describe, expect, it } from 'vitest';
import {
  environmentOf,
  label,
  logicalId,
  RESOURCE_LABELS,
  resource,
  resources,
  type SynthesizedStage,
  synthesizeStage,
} from './support/synth.js';

/**
 * Broadcast channels for crowds (API.md v1.2, issue 26): one AppSync Events API per stage, the
 * channel namespace `live`, publishing by IAM only and only by the fan-out's role, subscribing
 * with the public API key (docs/realtime.md, "Who may publish, who may subscribe").
 */
let s: SynthesizedStage;
beforeAll(() => {
  s = synthesizeStage('dev');
});

const API = 'AWS::AppSync::Api';
const apiId = () => logicalId(s.api, API, 'BroadcastEventApi');

describe('the AppSync Events API of the broadcast channels', () => {
  it('is one Events API: connect and subscribe by API key, publish by IAM', () => {
    expect(Object.keys(resources(s.api, API))).toHaveLength(1);
    const config = resource(s.api, API, 'BroadcastEventApi').Properties.EventConfig as Record<
      string,
      unknown
    >;
    expect(config.AuthProviders).toEqual([{ AuthType: 'API_KEY' }, { AuthType: 'AWS_IAM' }]);
    expect(config.ConnectionAuthModes).toEqual([{ AuthType: 'API_KEY' }]);
    expect(config.DefaultPublishAuthModes).toEqual([{ AuthType: 'AWS_IAM' }]);
    expect(config.DefaultSubscribeAuthModes).toEqual([{ AuthType: 'API_KEY' }]);
  });

  it('has exactly one channel namespace, `live`: published to by IAM only, subscribed to by API key', () => {
    const namespaces = Object.values(resources(s.api, 'AWS::AppSync::ChannelNamespace'));
    expect(namespaces).toHaveLength(1);
    expect(namespaces[0]?.Properties).toMatchObject({
      ApiId: { 'Fn::GetAtt': [apiId(), 'ApiId'] },
      Name: 'live',
      PublishAuthModes: [{ AuthType: 'AWS_IAM' }],
      SubscribeAuthModes: [{ AuthType: 'API_KEY' }],
    });
  });

  it('has one API key, valid for a year from each deploy (AppSync keys expire)', () => {
    const keys = Object.values(resources(s.api, 'AWS::AppSync::ApiKey'));
    expect(keys).toHaveLength(1);
    const expires = keys[0]?.Properties.Expires as number;
    const days = (expires * 1000 - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThanOrEqual(365);
  });

  it('logs errors only, to its own log group with the stage retention, through a role that may write there alone', () => {
    const config = resource(s.api, API, 'BroadcastEventApi').Properties.EventConfig as {
      LogConfig: { LogLevel: string; CloudWatchLogsRoleArn: { 'Fn::GetAtt': string[] } };
    };
    expect(config.LogConfig.LogLevel).toBe('ERROR');
    const group = resource(s.api, 'AWS::Logs::LogGroup', 'BroadcastLogs');
    expect(JSON.stringify(group.Properties.LogGroupName)).toContain('/aws/appsync/apis/');
    expect(JSON.stringify(group.Properties.LogGroupName)).toContain(apiId());
    expect(group.Properties.RetentionInDays).toBe(7);
    const role = config.LogConfig.CloudWatchLogsRoleArn['Fn::GetAtt'][0] as string;
    const statements = Object.values(resources(s.api, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement);
    expect(statements).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(s.api, 'AWS::Logs::LogGroup', 'BroadcastLogs'), 'Arn'] },
      },
    ]);
    expect(resource(s.api, 'AWS::IAM::Role', role).Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('who may publish', () => {
  const publishers = () =>
    Object.values(resources(s.api, 'AWS::IAM::Policy')).flatMap((policy) => {
      const statements = (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> })
        .Statement;
      return statements
        .filter((statement) => JSON.stringify(statement.Action).includes('appsync:'))
        .map((statement) => ({ roles: policy.Properties.Roles, statement }));
    });

  it("appsync:EventPublish on the live namespace is granted to the fan-out's role alone, and nothing else of AppSync to anyone", () => {
    const grants = publishers();
    expect(grants).toHaveLength(1);
    const fanout = resource(s.api, 'AWS::Lambda::Function', 'FanoutFunction');
    const fanoutRole = (fanout.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    expect(grants[0]?.roles).toEqual([{ Ref: fanoutRole }]);
    expect(grants[0]?.statement.Action).toBe('appsync:EventPublish');
    expect(label(grants[0]?.statement.Resource, RESOURCE_LABELS)).toBe('liveChannels');
    expect(JSON.stringify(grants[0]?.statement.Resource)).toContain(apiId());
  });

  it('no role is given EventConnect or EventSubscribe: watchers subscribe with the API key, nobody by IAM', () => {
    const text = JSON.stringify(resources(s.api, 'AWS::IAM::Policy'));
    expect(text).not.toMatch(/appsync:EventConnect|appsync:EventSubscribe|appsync:\*/);
  });
});

describe('what the functions are told', () => {
  it('the fan-out publishes to https://{http domain}/event, signing for the stack region', () => {
    const fanout = environmentOf(s.api, 'FanoutFunction');
    expect(JSON.stringify(fanout.EVENTS_HTTP_URL)).toMatch(
      new RegExp(`"https://",\\{"Fn::GetAtt":\\["${apiId()}","Dns.Http"\\]\\},"/event"`),
    );
    expect(fanout.EVENTS_REGION).toEqual({ Ref: 'AWS::Region' });
  });

  it('http, ws and the fan-out describe the channels alike: wss realtime URL, the host and the API key', () => {
    const keyId = logicalId(s.api, 'AWS::AppSync::ApiKey', 'BroadcastEventApiwatchers');
    for (const name of ['HttpFunction', 'WsFunction', 'FanoutFunction']) {
      const env = environmentOf(s.api, name);
      expect(JSON.stringify(env.EVENTS_REALTIME_URL)).toMatch(
        new RegExp(`"wss://",\\{"Fn::GetAtt":\\["${apiId()}","Dns.Realtime"\\]\\},"/event/realtime"`),
      );
      expect(env.EVENTS_HOST).toEqual({ 'Fn::GetAtt': [apiId(), 'Dns.Http'] });
      expect(env.EVENTS_API_KEY).toEqual({ 'Fn::GetAtt': [keyId, 'ApiKey'] });
    }
    for (const name of ['WriterFunction', 'SweeperFunction', 'MigrateFunction']) {
      expect(Object.keys(environmentOf(s.api, name)).filter((key) => key.startsWith('EVENTS_'))).toEqual([]);
    }
  });

  it('outputs the realtime URL', () => {
    const outputs = s.api.findOutputs('EventsRealtimeUrl');
    expect(Object.keys(outputs)).toHaveLength(1);
  });
});
