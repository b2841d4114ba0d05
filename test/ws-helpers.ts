import { WebSocket } from 'ws';

export interface TestClient {
  socket: WebSocket;
  /** Raw text messages in arrival order. */
  messages: string[];
  closed: boolean;
  closeCode: number | undefined;
  closeReason: string | undefined;
  /** Parsed JSON messages in arrival order. */
  json<T = Record<string, unknown>>(): T[];
  close(): Promise<void>;
}

/** A real `ws` client that records everything it receives; rejects when the handshake is refused. */
export function connectClient(url: string): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const client: TestClient = {
      socket,
      messages: [],
      closed: false,
      closeCode: undefined,
      closeReason: undefined,
      json: <T>() => client.messages.map((message) => JSON.parse(message) as T),
      close: () =>
        new Promise<void>((done) => {
          if (client.closed) return done();
          socket.once('close', () => done());
          socket.close();
        }),
    };
    socket.on('message', (data) => client.messages.push(data.toString()));
    socket.on('close', (code, reason) => {
      client.closed = true;
      client.closeCode = code;
      client.closeReason = reason.toString();
    });
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_request, response) => {
      reject(new Error(`handshake refused: ${response.statusCode}`));
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

export async function waitFor(
  condition: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
