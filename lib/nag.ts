import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * A cdk-nag finding accepted on purpose. cdk-nag 3 replaced NagSuppressions with CDK's
 * `Validations.of(x).acknowledge`; a reason is mandatory here so every exception explains itself.
 * IAM5 findings are acknowledged one by one (`AwsSolutions-IAM5[Resource::...]`).
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) throw new Error(`acknowledgement of ${id} needs a real reason`);
  Validations.of(scope).acknowledge({ id, reason });
}

/** AwsSolutions rules on every stack; any unacknowledged error fails the synth. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
