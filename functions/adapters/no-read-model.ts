import { UnavailableError } from '../domain/errors.js';
import type { NotificationReader } from '../ports/notifications.js';
import type { ReadModel } from '../ports/read-model.js';

const unavailable = async (): Promise<never> => {
  throw new UnavailableError(
    'read_model_unavailable',
    'listings are served from PostgreSQL, which this deployment has not configured (DATABASE_URL)',
    60,
  );
};

/**
 * The read model of an HTTP function without a database (the API on Redis alone, as some tests
 * run it): listings answer 503 after their input was validated, so bad input is still a 400.
 */
export class NoReadModel implements ReadModel {
  auctions = unavailable;
  products = unavailable;
  ordersOf = unavailable;
  bidsOf = unavailable;
}

/** The notifications of an HTTP function without a database: 503 after the input was validated. */
export class NoNotifications implements NotificationReader {
  list = unavailable;
  latestSeq = unavailable;
}
