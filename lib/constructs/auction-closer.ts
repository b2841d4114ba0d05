import { Duration, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface AuctionCloserProps {
  /** The function that closes one auction: invoked with `{"closeAuction": {"auctionId"}}`. */
  readonly closeFunction: lambda.IFunction;
  readonly stateMachineName: string;
}

/**
 * Closes each auction within about a second of its end (issue 27: `auction.won` should not wait for
 * the minute sweeper). One Standard Step Functions execution per auction, started when it is
 * created (input `{"auctionId", "endsAt": ISO-8601}`, execution name from the id, so a retried
 * start is the same execution): a Wait state until `endsAt`, then the close function; an auction
 * extended by anti-sniping answers `not_ended` with its new end and the execution waits again.
 *
 * Why not one EventBridge Scheduler `at()` schedule per auction: Scheduler invokes with 60-second
 * precision (a schedule at 12:00 runs between 12:00:00 and 12:00:59), a Wait state to the second.
 * The minute sweeper stays the safety net (a failed start, a failed close, Redis restored).
 * Cost: about four state transitions per auction.
 */
export class AuctionCloser extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: AuctionCloserProps) {
    super(scope, id);
    const waitForEnd = new sfn.Wait(this, 'UntilEndsAt', { time: sfn.WaitTime.timestampPath('$.endsAt') });
    const close = new tasks.LambdaInvoke(this, 'CloseAuction', {
      lambdaFunction: props.closeFunction,
      payload: sfn.TaskInput.fromObject({
        closeAuction: { auctionId: sfn.JsonPath.stringAt('$.auctionId') },
      }),
      // The function answers {"code", "endsAt"} (endsAt: the auction's end as it stands, ISO-8601).
      resultSelector: { 'code.$': '$.Payload.code', 'endsAt.$': '$.Payload.endsAt' },
      resultPath: '$.close',
      retryOnServiceExceptions: true,
    });
    // Redis or the function failing: a few tries, then the sweeper's next minute closes it.
    close.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    const gaveUp = new sfn.Fail(this, 'LeftToTheSweeper', {
      comment: 'The minute sweeper closes what this execution could not',
    });
    close.addCatch(gaveUp, { errors: ['States.ALL'] });
    const extended = new sfn.Pass(this, 'Extended', {
      comment: 'Anti-sniping moved the end: wait for the new one',
      parameters: { 'auctionId.$': '$.auctionId', 'endsAt.$': '$.close.endsAt' },
    });
    const definition = waitForEnd
      .next(close)
      .next(
        new sfn.Choice(this, 'Ended?')
          .when(sfn.Condition.stringEquals('$.close.code', 'not_ended'), extended.next(waitForEnd))
          .otherwise(new sfn.Succeed(this, 'Done')),
      );
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // Auctions end at most 30 days after creation (API.md); extensions add minutes.
      timeout: Duration.days(32),
    });
    this.acknowledgeFindings(props.closeFunction);
  }

  /** StartExecution on this state machine only (executions are named by auction id at runtime). */
  grantStart(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  private acknowledgeFindings(closeFunction: lambda.IFunction): void {
    // The role's default policy holds the statements.
    const role = this.stateMachine.role;
    const stack = Stack.of(this);
    const fnId = stack.getLogicalId(closeFunction.node.defaultChild as lambda.CfnFunction);
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
      'Step Functions LambdaInvoke grants the function and its versions/aliases (ARN:*); it is one function of this stack, invoked only with an auction id.',
    );
    for (const rule of ['AwsSolutions-SF1', 'AwsSolutions-SF2']) {
      acknowledge(
        this.stateMachine,
        rule,
        'A Standard workflow keeps every execution history in the service for 90 days (aws stepfunctions get-execution-history, named by auction id); CloudWatch log delivery and X-Ray need Resource "*" grants, which no policy of this app holds (infra test), and the close itself is logged by the sweeper.',
      );
    }
  }
}
