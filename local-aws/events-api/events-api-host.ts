import { Worker } from 'node:worker_threads';
import { threadEntryFile } from '../threads/thread-entries.js';
import type { EventsApi, EventsApiOptions, EventsApiStats } from './index.js';
import {
  EVENTS_STATS_FIELDS,
  type EventsHostMessage,
  type EventsThreadData,
  type EventsThreadMessage,
} from './thread-protocol.js';

/**
 * Starts the local AppSync Events API on its own thread (events-api-thread.ts), with the same face
 * as `startEventsApi`; `stats()` reads the thread's counters as of at most 50 ms ago.
 * `niceIncrement` lowers the thread's CPU priority below the rest of the runtime (see
 * LOCAL_EVENTS_NICE in docs/local-runtime.md).
 */
export async function startEventsApiThread(
  options: EventsApiOptions,
  niceIncrement = 0,
): Promise<EventsApi & { threadId: number | undefined }> {
  const memory = new SharedArrayBuffer(8 * EVENTS_STATS_FIELDS.length);
  const cells = new Float64Array(memory);
  const data: EventsThreadData = { options, stats: memory, niceIncrement };
  const worker = new Worker(await threadEntryFile('events-api-thread'), {
    workerData: data,
    name: 'events-api',
  });
  const host = options.host ?? '127.0.0.1';
  let stopped: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', () => {
      stopped?.();
      reject(new Error('the Events API thread exited'));
    });
    worker.on('message', (message: EventsThreadMessage) => {
      if (message.type === 'stopped') {
        stopped?.();
      } else if (message.type === 'start-error') {
        const error = new Error(message.message) as NodeJS.ErrnoException;
        if (message.code) error.code = message.code;
        reject(error);
        void worker.terminate();
      } else {
        const authority = `${host}:${message.port}`;
        resolve({
          port: message.port,
          host: authority,
          httpUrl: `http://${authority}/event`,
          realtimeUrl: `ws://${authority}/event/realtime`,
          threadId: message.threadId,
          stats: () =>
            Object.fromEntries(
              EVENTS_STATS_FIELDS.map((field, index) => [field, cells[index]]),
            ) as unknown as EventsApiStats,
          stop: () =>
            new Promise<void>((done) => {
              stopped = done;
              worker.postMessage({ type: 'stop' } satisfies EventsHostMessage);
            }).then(() => worker.terminate().then(() => undefined)),
        });
      }
    });
  });
}
