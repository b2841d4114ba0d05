import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { LocalFunction } from './lambda/functions.js';
import { describeError, log } from './shared/log.js';

export interface Schedule {
  stats: { runs: number; failures: number; skipped: number };
  stop: () => Promise<void>;
}

/** The event EventBridge Scheduler / a rule sends to its Lambda target. */
export function scheduledEvent(ruleName: string, region: string, now = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: `${now.toISOString().slice(0, 19)}Z`,
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/${ruleName}`],
    detail: {},
  };
}

/**
 * Invokes `fn` every `intervalMs`. Unlike EventBridge, a tick is skipped while the previous run
 * is still going, so a slow local sweep does not pile up.
 */
export function startSchedule(
  fn: LocalFunction,
  ruleName: string,
  intervalMs: number,
  region: string,
): Schedule {
  const stats = { runs: 0, failures: 0, skipped: 0 };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) {
      stats.skipped++;
      return;
    }
    stats.runs++;
    running = fn
      .invoke(scheduledEvent(ruleName, region))
      .then(
        () => undefined,
        (error) => {
          stats.failures++;
          log.error('schedule', `${ruleName}: ${fn.name} failed: ${describeError(error)}`);
        },
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  return {
    stats,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
