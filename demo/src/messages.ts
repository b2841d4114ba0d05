/**
 * Every refusal in words for the person at the page: the API's error codes (API.md) with their
 * details, and the client's NetworkError (no answer after its retries).
 */
import { ApiError, NetworkError } from '../../client/src/index.js';
import { money } from './ui/format.js';

const seconds = (n: number | undefined) => (n === undefined ? 'a moment' : `${n} s`);

export function explain(error: unknown): string {
  if (error instanceof NetworkError) {
    return `The API did not answer (${error.attempts} attempt(s)): is npm run local still running? Nothing was placed twice.`;
  }
  if (!(error instanceof ApiError))
    return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  if (error.is('bid_too_low'))
    return `Too low: the minimum bid is now ${money(error.details.minimumBid)} (${error.details.minimumBid} cents).`;
  if (error.is('rate_limited'))
    return `Too many requests: try again in ${seconds(error.details.retryAfterSeconds ?? error.retryAfterSeconds)}.`;
  if (error.is('sold_out'))
    return 'Sold out: every unit is taken or reserved. Units of expired reservations come back.';
  if (error.is('limit_exceeded'))
    return `Limit reached: at most ${error.details.limit} per person, you have ${error.details.purchased}.`;
  switch (error.code) {
    case 'already_leading':
      return 'You are already the leader: wait for another bid, or give a higher maximum to raise your own.';
    case 'seller_cannot_bid':
      return 'You are the seller of this auction: sellers cannot bid.';
    case 'auction_not_open':
      return 'The auction has not started yet.';
    case 'auction_closed':
      return 'The auction has ended: no more bids.';
    case 'buy_now_unavailable':
      return 'Buy It Now is no longer available: the auction has bids (or its reserve is met). You can still bid.';
    case 'auction_not_found':
      return 'There is no such auction.';
    case 'product_not_found':
      return 'There is no such product.';
    case 'sale_not_active':
      return 'The sale is not on: it has not started or it has ended.';
    case 'order_not_found':
      return 'There is no such order of yours.';
    case 'order_not_cancellable':
      return 'This order can no longer be cancelled (paid, expired or already cancelled).';
    case 'unauthorized':
      return 'Your demo token was refused: reload the page for a new one.';
    case 'forbidden':
      return 'Your demo user may not do that.';
    case 'service_unavailable':
    case 'dependency_unavailable':
      return `The service is recovering: try again in ${seconds(error.retryAfterSeconds)}.`;
    case 'invalid_request':
      return `The API refused the request: ${error.message}`;
    default:
      return `${error.message} (${error.code})`;
  }
}
