import { afterEach, describe, expect, it } from 'vitest';
import { type LocalAuctionCloser, startLocalAuctionCloser } from './auction-closer.js';

let closer: LocalAuctionCloser | undefined;
afterEach(async () => {
  await closer?.close();
  closer = undefined;
});

async function startExecution(c: LocalAuctionCloser, name: string, input: unknown) {
  const response = await fetch(c.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSStepFunctions.StartExecution',
    },
    body: JSON.stringify({ stateMachineArn: c.stateMachineArn, name, input: JSON.stringify(input) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('local auction closer (the Step Functions stand-in)', () => {
  it('invokes the close at endsAt, waits again after an extension, and a repeated start is the same execution', async () => {
    closer = await startLocalAuctionCloser({ region: 'us-east-1', name: 'test-closer' });
    const calls: { at: number; event: unknown }[] = [];
    const first = Date.now() + 300;
    const extended = first + 300;
    closer.setTarget({
      invoke: async (event) => {
        calls.push({ at: Date.now(), event });
        return calls.length === 1
          ? { code: 'not_ended', endsAt: new Date(extended).toISOString() }
          : { code: 'closed', endsAt: new Date(extended).toISOString() };
      },
    });
    const input = { auctionId: 'a-1', endsAt: new Date(first).toISOString() };
    const started = await startExecution(closer, 'a-1', input);
    expect(started.status).toBe(200);
    expect(String(started.body.executionArn)).toContain(':execution:test-closer:a-1');
    expect((await startExecution(closer, 'a-1', input)).status).toBe(200);
    expect((await startExecution(closer, 'a-1', { ...input, endsAt: 'x' })).body.__type).toBe(
      'ExecutionAlreadyExists',
    );
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(calls.map((call) => call.event)).toEqual([
      { closeAuction: { auctionId: 'a-1' } },
      { closeAuction: { auctionId: 'a-1' } },
    ]);
    expect(calls[0]?.at).toBeGreaterThanOrEqual(first);
    expect(calls[1]?.at).toBeGreaterThanOrEqual(extended);
    expect(closer.stats).toMatchObject({ executions: 1, closes: 1, waitsAgain: 1, failures: 0 });
    expect(closer.stats.delaysMs[0]).toBeLessThan(200);
  });

  it('refuses other operations, other state machines and bad input', async () => {
    closer = await startLocalAuctionCloser({ region: 'us-east-1', name: 'test-closer' });
    const other = await fetch(closer.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSStepFunctions.StopExecution' },
      body: '{}',
    });
    expect(other.status).toBe(400);
    expect((await startExecution(closer, 'a-2', { auctionId: 'a-2' })).body.__type).toBe(
      'InvalidExecutionInput',
    );
  });
});
