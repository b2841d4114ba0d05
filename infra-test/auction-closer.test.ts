import { beforeAll, describe, expect, it } from 'vitest';
import {
  environmentOf,
  logicalId,
  resource,
  resources,
  type SynthesizedStage,
  synthesizeStage,
} from './support/synth.js';

let s: SynthesizedStage;
beforeAll(() => {
  s = synthesizeStage('dev');
});

/** Issue 27: the close within about a second of endsAt on AWS, the minute sweeper as safety net. */
describe('auction closer (one Step Functions execution per auction)', () => {
  const definition = () => {
    const machine = resource(s.api, 'AWS::StepFunctions::StateMachine', 'AuctionCloser');
    const body = machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
    return JSON.stringify(body['Fn::Join'][1]);
  };

  it("is a Standard workflow that waits until the auction's endsAt (to the second), then invokes the sweeper", () => {
    const machine = resource(s.api, 'AWS::StepFunctions::StateMachine', 'AuctionCloser');
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
    const text = definition();
    expect(text).toContain('\\"Type\\":\\"Wait\\",\\"TimestampPath\\":\\"$.endsAt\\"');
    expect(text).toContain('arn:');
    expect(text).toContain(logicalId(s.api, 'AWS::Lambda::Function', 'SweeperFunction'));
    expect(text).toContain('closeAuction');
  });

  it('an anti-sniping extension (not_ended) waits again for the new end; failures are left to the sweeper', () => {
    const text = definition();
    expect(text).toContain('\\"StringEquals\\":\\"not_ended\\"');
    expect(text).toMatch(/Extended.*Next\\":\\"UntilEndsAt/);
    expect(text).toContain('LeftToTheSweeper');
  });

  it('its role may invoke the sweeper only; the http function may start executions of it only, through the VPC endpoint', () => {
    const machine = resource(s.api, 'AWS::StepFunctions::StateMachine', 'AuctionCloser');
    const roleId = (machine.Properties.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const statements = Object.values(resources(s.api, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap(
        (p) =>
          (p.Properties.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> })
            .Statement,
      );
    expect(statements.flatMap((st) => ([] as unknown[]).concat(st.Action))).toEqual([
      'lambda:InvokeFunction',
    ]);
    expect(JSON.stringify(statements)).toContain('SweeperFunction');
    expect(environmentOf(s.api, 'HttpFunction').AUCTION_CLOSER_ARN).toEqual({
      Ref: logicalId(s.api, 'AWS::StepFunctions::StateMachine', 'AuctionCloser'),
    });
    s.data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.states']] },
      PrivateDnsEnabled: true,
    });
    const egress = Object.values(resources(s.api, 'AWS::EC2::SecurityGroupEgress')).filter((r) =>
      JSON.stringify(r.Properties).includes('Step Functions endpoint'),
    );
    expect(
      egress.map((r) => JSON.stringify(r.Properties.GroupId).match(/"(\w+)FunctionSecurityGroup/)?.[1]),
    ).toEqual(['Http']);
  });
});
