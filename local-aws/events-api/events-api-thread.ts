/**
 * The Events API stand-in on its own worker thread (events-api-host.ts starts it): in `npm run
 * local` its deliveries (one socket write per subscriber per event: 100,000 a second for 10,000
 * watchers of an auction at a bid every 100 ms) must not share the main thread's event loop with
 * the HTTP gateway that bids go through, as AppSync's fleet shares nothing with API Gateway.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { osThreadId } from '../threads/os-thread.js';
import { type EventsApiOptions, startEventsApi } from './index.js';

export type EventsThreadToHost =
  | {
      type: 'ready';
      httpUrl: string;
      realtimeUrl: string;
      host: string;
      port: number;
      threadId: number | undefined;
    }
  | { type: 'failed'; code: string | undefined; message: string }
  | { type: 'stats'; stats: ReturnType<Awaited<ReturnType<typeof startEventsApi>>['stats']> }
  | { type: 'stopped' };
export type HostToEventsThread = { type: 'stats' } | { type: 'stop' };

const port = parentPort;
if (!port) throw new Error('events-api-thread runs as a worker thread');
try {
  const api = await startEventsApi(workerData as EventsApiOptions);
  port.on('message', (message: HostToEventsThread) => {
    if (message.type === 'stats')
      port.postMessage({ type: 'stats', stats: api.stats() } satisfies EventsThreadToHost);
    if (message.type === 'stop')
      void api.stop().finally(() => {
        port.postMessage({ type: 'stopped' } satisfies EventsThreadToHost);
        port.close();
      });
  });
  port.postMessage({
    type: 'ready',
    httpUrl: api.httpUrl,
    realtimeUrl: api.realtimeUrl,
    host: api.host,
    port: api.port,
    threadId: osThreadId(),
  } satisfies EventsThreadToHost);
} catch (error) {
  port.postMessage({
    type: 'failed',
    code: (error as NodeJS.ErrnoException).code,
    message: error instanceof Error ? error.message : String(error),
  } satisfies EventsThreadToHost);
}
