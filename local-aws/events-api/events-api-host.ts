import { Worker } from 'node:worker_threads';
import { threadEntryFile } from '../threads/thread-entries.js';
import type { EventsThreadToHost, HostToEventsThread } from './events-api-thread.js';
import type { EventsApiOptions, EventsApiStats } from './index.js';

export interface EventsApiThread {
  port: number;
  httpUrl: string;
  realtimeUrl: string;
  host: string;
  /** The thread's OS thread id (Linux), for benchmarks that read its CPU time. */
  threadId: number | undefined;
  stats(): Promise<EventsApiStats>;
  stop(): Promise<void>;
}

/** The Events API stand-in on its own thread (events-api-thread.ts); `npm run local` uses this. */
export async function startEventsApiThread(options: EventsApiOptions): Promise<EventsApiThread> {
  const worker = new Worker(await threadEntryFile('events-api-thread'), {
    workerData: options,
    name: 'events-api',
  });
  const post = (message: HostToEventsThread) => worker.postMessage(message);
  const statsWaiters: ((stats: EventsApiStats) => void)[] = [];
  let stopped: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', () => {
      stopped?.();
      reject(new Error('the Events API thread exited'));
    });
    worker.on('message', (message: EventsThreadToHost) => {
      switch (message.type) {
        case 'failed':
          reject(Object.assign(new Error(message.message), { code: message.code }));
          return;
        case 'stats':
          for (const waiter of statsWaiters.splice(0)) waiter(message.stats);
          return;
        case 'stopped':
          return;
        case 'ready':
          resolve({
            port: message.port,
            httpUrl: message.httpUrl,
            realtimeUrl: message.realtimeUrl,
            host: message.host,
            threadId: message.threadId,
            stats: () =>
              new Promise((done) => {
                statsWaiters.push(done);
                post({ type: 'stats' });
              }),
            stop: () =>
              new Promise<void>((done) => {
                stopped = done;
                post({ type: 'stop' });
              }),
          });
      }
    });
  });
}
