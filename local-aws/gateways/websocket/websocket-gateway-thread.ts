/**
 * The local WebSocket API on a thread of its own (started by websocket-gateway-host.ts): the `ws`
 * server and the management API must not share an event loop with the HTTP gateway, as on AWS
 * they do not share machines. A wave of PostToConnection calls to 10,000 watchers is 10,000 HTTP
 * requests and WebSocket frames; on the HTTP gateway's loop it would delay every bid behind it.
 * Events for the ws function go to the host, which invokes the function's pool.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { osThreadId } from '../../threads/os-thread.js';
import { profileThisThread } from '../../threads/thread-profiler.js';
import type { ManagementStats } from './management-side.js';
import { startWebSocketGateway, type WebSocketGatewayOptions } from './websocket-gateway.js';

export type GatewayThreadData = Omit<WebSocketGatewayOptions, 'handler' | 'onError'>;

export type HostToGateway =
  | { type: 'result'; id: number; ok: boolean; value?: unknown; error?: string }
  | { type: 'stats' }
  | { type: 'close' };

export type GatewayToHost =
  | { type: 'ready'; port: number; url: string; managementEndpoint: string; threadId: number | undefined }
  | { type: 'start-error'; code?: string | undefined; message: string }
  | { type: 'invoke'; id: number; event: unknown }
  | { type: 'error'; message: string; error: string }
  | { type: 'stats'; connections: number; management: ManagementStats }
  | { type: 'closed' };

profileThisThread('websocket-gateway');
const port = parentPort;
if (!port) throw new Error('websocket-gateway-thread.ts runs only as a worker thread');
const send = (message: GatewayToHost) => port.postMessage(message);

const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextId = 1;

try {
  const gateway = await startWebSocketGateway({
    ...(workerData as GatewayThreadData),
    handler: (event) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        send({ type: 'invoke', id, event });
      }),
    onError: (message, error) =>
      send({
        type: 'error',
        message,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
  });
  port.on('message', async (message: HostToGateway) => {
    if (message.type === 'result') {
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (!call) return;
      if (message.ok) call.resolve(message.value);
      else call.reject(new Error(message.error ?? 'the ws function failed'));
    } else if (message.type === 'stats') {
      send({
        type: 'stats',
        connections: gateway.connectionCount(),
        management: { ...gateway.managementStats },
      });
    } else if (message.type === 'close') {
      await gateway.close();
      send({ type: 'closed' });
      port.close();
    }
  });
  send({
    type: 'ready',
    port: gateway.port,
    url: gateway.url,
    managementEndpoint: gateway.managementEndpoint,
    threadId: osThreadId(),
  });
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  send({ type: 'start-error', code, message });
}
