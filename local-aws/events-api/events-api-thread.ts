/**
 * The local AppSync Events API on a thread of its own (started by events-api-host.ts): delivering
 * an update to 10,000 subscribers is 10,000 socket writes, which must not share an event loop with
 * the HTTP gateway that takes bids (on AWS the Events API is another service on other machines).
 * Its counters are copied into shared memory every 50 ms so that the host's `stats()` stays
 * synchronous.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { osThreadId } from '../threads/os-thread.js';
import { profileThisThread } from '../threads/thread-profiler.js';
import { startEventsApi } from './server.js';
import {
  EVENTS_STATS_FIELDS,
  type EventsHostMessage,
  type EventsThreadData,
  type EventsThreadMessage,
} from './thread-protocol.js';

profileThisThread('events-api');
const port = parentPort;
if (!port) throw new Error('events-api-thread.ts runs only as a worker thread');
const send = (message: EventsThreadMessage) => port.postMessage(message);
const data = workerData as EventsThreadData;
const cells = new Float64Array(data.stats);

const threadId = osThreadId();
if (data.niceIncrement > 0 && threadId !== undefined) {
  // On Linux a thread id names one thread to setpriority(2): only this one gives way. Writing 10,000
  // sockets per update is the Events API's fleet's work on AWS, not the machine that decides bids.
  try {
    setPriority(threadId, Math.min(19, getPriority(threadId) + data.niceIncrement));
  } catch {
    // not permitted here: the thread keeps the process's priority
  }
}
try {
  const api = await startEventsApi(data.options);
  const copy = () => {
    const stats = api.stats();
    EVENTS_STATS_FIELDS.forEach((field, index) => {
      cells[index] = stats[field];
    });
  };
  const timer = setInterval(copy, 50);
  port.on('message', async (message: EventsHostMessage) => {
    if (message.type !== 'stop') return;
    clearInterval(timer);
    copy();
    await api.stop();
    send({ type: 'stopped' });
    port.close();
  });
  send({ type: 'ready', port: api.port, threadId });
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  send({ type: 'start-error', code, message });
}
