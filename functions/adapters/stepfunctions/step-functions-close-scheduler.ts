import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { AuctionCloseScheduler } from '../../ports/auction-close-scheduler.js';

/**
 * StartExecution of the auction closer's state machine, input `{"auctionId", "endsAt": ISO}`. The
 * execution is named from the auction id (names allow 80 characters of [A-Za-z0-9-_]; ids are
 * [A-Za-z0-9_-]{1,64}), so a retried start is the same execution, never a second close.
 */
export class StepFunctionsCloseScheduler implements AuctionCloseScheduler {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async scheduleClose(auctionId: string, endsAt: number): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName(auctionId),
          input: JSON.stringify({ auctionId, endsAt: waitUntil(endsAt) }),
        }),
      );
    } catch (error) {
      // The same name with another input: an auction id given again (a rebuild, a retry after a
      // lost answer) is waited for already.
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }
}

/** `close-<id>`; execution names are unique per state machine for 90 days, so it says which auction. */
export function executionName(auctionId: string): string {
  const name = `close-${auctionId}`;
  return name.length <= 80
    ? name
    : `close-${createHash('sha256').update(auctionId).digest('hex').slice(0, 64)}`;
}

/** A Wait state's timestamp is to the second: round up, so the close never fires before the end. */
export function waitUntil(endsAt: number): string {
  return new Date(Math.ceil(endsAt / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function createStepFunctionsClient(options: { region: string; endpoint?: string }): SFNClient {
  return new SFNClient({
    region: options.region,
    maxAttempts: 3,
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}
