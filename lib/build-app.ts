import { type App, Tags } from 'aws-cdk-lib';
import { authContextKey, pinContextKey, type StageConfig, stageConfig, stages } from './config/stages.js';
import { addNagChecks } from './nag.js';
import { ApiStack } from './stacks/api-stack.js';
import { DataStack } from './stacks/data-stack.js';

export interface StageStacks {
  readonly data: DataStack;
  readonly api: ApiStack;
}

/** One stage: the stateful stack, then the stateless one that depends on it. */
export function addStage(app: App, stage: StageConfig): StageStacks {
  const base = `LiveSale-${stage.name}`;
  const env = stage.env ? { env: stage.env } : {};
  const data = new DataStack(app, `${base}-Data`, {
    ...env,
    stage,
    description: `Live sale ${stage.name}: network, Redis, PostgreSQL, queues, secrets (stateful)`,
    terminationProtection: stage.retainData,
  });
  const api = new ApiStack(app, `${base}-Api`, {
    ...env,
    stage,
    data,
    description: `Live sale ${stage.name}: functions, HTTP and WebSocket APIs, monitoring (stateless)`,
  });
  for (const stack of [data, api]) {
    Tags.of(stack).add('app', 'live-sale');
    Tags.of(stack).add('stage', stage.name);
  }
  return { data, api };
}

/**
 * `-c stage=dev` synthesizes one stage; without it every stage is synthesized (so `npm run synth`
 * checks them all; a stage that requires a pin and has none is then pinned to CHECK_ONLY_PIN, which
 * no deploy accepts). cdk-nag runs on whatever is synthesized and fails the synth on any finding
 * that is not acknowledged with a reason.
 */
export function buildApp(app: App): Record<string, StageStacks> {
  const requested = app.node.tryGetContext('stage') as string | undefined;
  const names = requested ? [requested] : Object.keys(stages);
  const result: Record<string, StageStacks> = {};
  const configs = names.map((name) =>
    stageConfig(name, {
      pin: app.node.tryGetContext(pinContextKey(name)),
      forDeploy: requested === name,
      auth: app.node.tryGetContext(authContextKey(name)),
    }),
  );
  // A pinned stage's zones are given; as context they spare the CLI an AZ lookup (credentials),
  // which the VPC would otherwise ask for to check them. Context is set before any construct.
  for (const config of configs) {
    if (config.env?.account && config.env.region && config.availabilityZones) {
      const key = `availability-zones:account=${config.env.account}:region=${config.env.region}`;
      if (app.node.tryGetContext(key) === undefined) app.node.setContext(key, config.availabilityZones);
    }
  }
  for (const config of configs) result[config.name] = addStage(app, config);
  addNagChecks(app);
  return result;
}
