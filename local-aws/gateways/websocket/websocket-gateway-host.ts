import { Worker } from 'node:worker_threads';
import { threadEntryFile } from '../../threads/thread-entries.js';
import type { WebSocketEvent } from './events.js';
import type { ManagementStats } from './management-side.js';
import type { GatewayThreadData, GatewayToHost, HostToGateway } from './websocket-gateway-thread.js';

export interface WebSocketGatewayThread {
  port: number;
  url: string;
  managementEndpoint: string;
  /** The gateway thread's OS thread id (Linux), for benchmarks that read its CPU time. */
  threadId: number | undefined;
  /** Connections open now and the management API's counters, asked of the gateway's thread. */
  stats: () => Promise<{ connections: number; management: ManagementStats }>;
  /** Closes every connection (each gets `$disconnect`), the server and the thread. */
  close: () => Promise<void>;
}

/**
 * Starts the local WebSocket API on its own thread (see websocket-gateway-thread.ts); `handler`
 * runs here, on the caller's thread (it forwards to the ws function's instances).
 */
export async function startWebSocketGatewayThread(
  options: GatewayThreadData & {
    handler: (event: WebSocketEvent) => Promise<unknown>;
    onError: (message: string, error: string) => void;
  },
): Promise<WebSocketGatewayThread> {
  const { handler, onError, ...data } = options;
  const worker = new Worker(await threadEntryFile('websocket-gateway-thread'), {
    workerData: data,
    name: 'websocket-gateway',
  });
  const post = (message: HostToGateway) => worker.postMessage(message);
  const statsWaiters: ((stats: { connections: number; management: ManagementStats }) => void)[] = [];
  let closed: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', () => {
      closed?.();
      reject(new Error('the WebSocket gateway thread exited'));
    });
    worker.on('message', (message: GatewayToHost) => {
      switch (message.type) {
        case 'invoke':
          handler(message.event as WebSocketEvent).then(
            (value) => post({ type: 'result', id: message.id, ok: true, value }),
            (error: unknown) =>
              post({
                type: 'result',
                id: message.id,
                ok: false,
                error: error instanceof Error ? error.message : String(error),
              }),
          );
          return;
        case 'error':
          onError(message.message, message.error);
          return;
        case 'stats':
          for (const waiter of statsWaiters.splice(0))
            waiter({ connections: message.connections, management: message.management });
          return;
        case 'closed':
          closed?.();
          return;
        case 'start-error': {
          const error = new Error(message.message) as NodeJS.ErrnoException;
          if (message.code) error.code = message.code;
          reject(error);
          void worker.terminate();
          return;
        }
        case 'ready':
          resolve({
            port: message.port,
            url: message.url,
            managementEndpoint: message.managementEndpoint,
            threadId: message.threadId,
            stats: () =>
              new Promise((done) => {
                statsWaiters.push(done);
                post({ type: 'stats' });
              }),
            close: () =>
              new Promise<void>((done) => {
                closed = done;
                post({ type: 'close' });
              }).then(() => worker.terminate().then(() => undefined)),
          });
      }
    });
  });
}
