import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildApp, type StageStacks } from '../../lib/build-app.js';
import { pinContextKey } from '../../lib/config/stages.js';

/**
 * Context that skips esbuild bundling (the templates are the same but for asset hashes): for files
 * that assert on templates only. api-stack.test.ts bundles, as does `cdk synth` in `npm test`.
 */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

export interface SynthesizedStage {
  readonly stacks: StageStacks;
  readonly data: Template;
  readonly api: Template;
  readonly assembly: CloudAssembly;
}

/** What a team puts in cdk.json to deploy prod; an account of the AWS documentation examples. */
export const TEST_PROD_PIN = {
  account: '123456789012',
  region: 'eu-west-1',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  corsOrigins: ['https://shop.live-sale.test'],
  alarmEmail: 'oncall@live-sale.test',
};

/**
 * Synthesizes one stage exactly like `cdk synth -c stage=<name>` (cdk-nag included: a finding
 * without acknowledgement throws here), into a temporary directory. Call once per file. Without
 * `bundle: true` the functions are not bundled (a template-only file saves ~6 s of esbuild).
 */
export function synthesizeStage(
  stage: string,
  context: Record<string, unknown> = stage === 'prod' ? { [pinContextKey('prod')]: TEST_PROD_PIN } : {},
  options: { bundle?: boolean } = {},
): SynthesizedStage {
  const outdir = mkdtempSync(join(tmpdir(), `infra-${stage}-`));
  // Asset metadata, as the CLI asks for it, lets tests find each function's bundle directory.
  const app = new App({
    outdir,
    context: {
      stage,
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle ? {} : NO_BUNDLING),
      ...context,
    },
  });
  const stacks = buildApp(app)[stage];
  if (!stacks) throw new Error(`stage ${stage} was not built`);
  const assembly = app.synth();
  return { stacks, data: Template.fromStack(stacks.data), api: Template.fromStack(stacks.api), assembly };
}

export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
}
type Resources = Record<string, Resource>;

export function resources(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** Logical id of the one resource of `type` whose id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resources(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

/** The one resource of `type` whose logical id starts with `prefix`. */
export function resource(template: Template, type: string, prefix: string): Resource {
  return resources(template, type)[logicalId(template, type, prefix)] as Resource;
}

/**
 * Cross-stack references appear as Fn::ImportValue of export names that embed the producer's
 * logical ids; this names what a resource expression points at, by the first label it mentions.
 */
export function label(value: unknown, labels: Record<string, RegExp>): string {
  const text = JSON.stringify(value);
  for (const [name, pattern] of Object.entries(labels)) if (pattern.test(text)) return name;
  return text;
}

export const RESOURCE_LABELS: Record<string, RegExp> = {
  persistDlq: /PersistDeadLetter/,
  fanoutDlq: /FanoutDeadLetter/,
  persistQueue: /PersistQueue/,
  fanoutQueue: /FanoutQueue/,
  jwtSecret: /JwtSecret/,
  webhookSecret: /WebhookSecret/,
  redisAuthToken: /RedisAuthToken/,
  databaseSecret: /DatabaseClusterSecret/,
  appDatabaseSecret: /DatabaseAppSecret/,
  auctionCloser: /AuctionCloser/,
  webSocketPost: /WebSocketApi.*\/live\/POST\/@connections\/\*/,
  webSocketDelete: /WebSocketApi.*\/live\/DELETE\/@connections\/\*/,
  liveChannels: /BroadcastEventApi.*\/channelNamespace\/live"/,
};

export interface Permission {
  readonly action: string;
  readonly resource: string;
}

/** Every (action, resource) pair the inline policies give one function's role, labelled. */
export function permissionsOf(template: Template, functionPrefix: string): Permission[] {
  const fn = resource(template, 'AWS::Lambda::Function', functionPrefix);
  const roleRef = JSON.stringify((fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
  const out: Permission[] = [];
  for (const policy of Object.values(resources(template, 'AWS::IAM::Policy'))) {
    const roles = (policy.Properties.Roles as Array<{ Ref: string }>).map((r) => JSON.stringify(r.Ref));
    if (!roles.includes(roleRef)) continue;
    const doc = policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> };
    for (const statement of doc.Statement) {
      if (statement.Effect !== 'Allow') throw new Error(`unexpected ${String(statement.Effect)} statement`);
      const actions = ([] as unknown[]).concat(statement.Action);
      const targets = ([] as unknown[]).concat(statement.Resource);
      for (const action of actions)
        for (const target of targets)
          out.push({ action: String(action), resource: label(target, RESOURCE_LABELS) });
    }
  }
  return out.sort((a, b) => `${a.action} ${a.resource}`.localeCompare(`${b.action} ${b.resource}`));
}

export function environmentOf(template: Template, functionPrefix: string): Record<string, unknown> {
  const fn = resource(template, 'AWS::Lambda::Function', functionPrefix);
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}
