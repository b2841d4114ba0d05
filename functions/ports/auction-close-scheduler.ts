/**
 * Closes an auction about when it ends instead of at the minute sweeper's next run (issue 27): on
 * AWS one Step Functions execution per auction (lib/constructs/auction-closer.ts), locally its
 * stand-in (local-aws/stepfunctions/auction-closer.ts). Best effort: the sweeper stays the safety net.
 */
export interface AuctionCloseScheduler {
  /** Idempotent per auction: a second start with the same end is the same execution. */
  scheduleClose(auctionId: string, endsAt: number): Promise<void>;
}
