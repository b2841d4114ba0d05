import { createServer, Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server, to break connections the way networks do:
 * - `cutNextAnswers(n)`: the next n answers are lost: the request reaches the server (which
 *   decides), and once the first bytes of its answer come back, both sockets are destroyed
 *   without passing them on;
 * - `answerNext(n, raw)`: the next n requests get `raw` (e.g. a gateway's 503) without reaching
 *   the server;
 * - `replaceNextAnswers(n, raw)`: the next n requests reach the server (which decides), and its
 *   answer is replaced by `raw` (e.g. API Gateway's 500 after the function timed out or crashed);
 * - `cutAll()` destroys every open connection; `refuse(true)` refuses new ones meanwhile;
 * - `stallOpen()`: the open connections stay open but carry nothing more (a half-open connection).
 * It records the raw bytes of every request it saw (headers included), in order.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const open = new Set<Socket>();
  const requests: string[] = [];
  let cutsLeft = 0;
  let answersLeft = 0;
  let cannedAnswer = '';
  let replacementsLeft = 0;
  let replacement = '';
  let refusing = false;
  let connections = 0;
  const stalled = new WeakSet<Socket>();

  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    connections += 1;
    let upstream: Socket | undefined;
    const pending: Buffer[] = [];
    open.add(client);
    client.on('close', () => {
      open.delete(client);
      upstream?.destroy();
    });
    client.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => {
      if (stalled.has(client)) return;
      const text = chunk.toString('latin1');
      if (/^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) /.test(text)) {
        requests.push(text);
        if (answersLeft > 0) {
          answersLeft -= 1;
          client.end(cannedAnswer);
          return;
        }
      }
      if (upstream) upstream.write(chunk);
      else pending.push(chunk);
    });
    upstream = new Socket();
    const up = upstream;
    open.add(up);
    let cutThis = false;
    let replaceThis = false;
    up.on('close', () => {
      open.delete(up);
      // A replaced answer is being flushed to the client, which `end` closes once written.
      if (!replaceThis) client.destroy();
    });
    up.on('error', () => undefined);
    up.on('data', (chunk: Buffer) => {
      if (stalled.has(client)) return;
      if (!cutThis && !replaceThis && cutsLeft > 0) {
        cutsLeft -= 1;
        cutThis = true;
      }
      if (!cutThis && !replaceThis && replacementsLeft > 0) {
        replacementsLeft -= 1;
        replaceThis = true;
        client.end(replacement);
        up.destroy();
        return;
      }
      if (replaceThis) return;
      if (cutThis) {
        client.destroy();
        up.destroy();
        return;
      }
      client.write(chunk);
    });
    up.connect(target.port, target.host, () => {
      for (const chunk of pending.splice(0)) up.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    requests,
    connections: () => connections,
    cutNextAnswers(count: number) {
      cutsLeft = count;
    },
    answerNext(count: number, raw: string) {
      answersLeft = count;
      cannedAnswer = raw;
    },
    replaceNextAnswers(count: number, raw: string) {
      replacementsLeft = count;
      replacement = raw;
    },
    refuse(value: boolean) {
      refusing = value;
    },
    stallOpen() {
      for (const socket of open) stalled.add(socket);
    },
    cutAll() {
      for (const socket of [...open]) socket.destroy();
    },
    async close() {
      refusing = true;
      for (const socket of [...open]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;
