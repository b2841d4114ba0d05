/**
 * The crowd of bench-events-api.ts, in its own process (the watchers stand for users' devices, not
 * for the service): N raw AppSync Events clients per realtime URL, each subscribed to one channel.
 * stdin: nothing. stdout: `ready`, then `got <url index> <data frames so far>` whenever a URL's
 * crowd has received another full round (N frames).
 *
 * argv: <channel> <api key> <watchers per url> <realtime url>...
 */
import WebSocket from 'ws';

const [channel = '/live/bench', apiKey = '', countText = '1000', ...urls] = process.argv.slice(2);
const count = Number(countText);

async function crowd(url: string, index: number): Promise<void> {
  const host = new URL(url).host;
  const header = `header-${Buffer.from(JSON.stringify({ host, 'x-api-key': apiKey })).toString('base64url')}`;
  let frames = 0;
  const opening: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    opening.push(
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url, ['aws-appsync-event-ws', header], { perMessageDeflate: false });
        ws.on('error', reject);
        ws.on('open', () => ws.send('{"type":"connection_init"}'));
        ws.on('message', (data) => {
          const text = String(data);
          if (text.startsWith('{"type":"data"')) {
            frames++;
            if (frames % count === 0) process.stdout.write(`got ${index} ${frames}\n`);
          } else if (text.includes('connection_ack')) {
            ws.send(
              JSON.stringify({
                type: 'subscribe',
                id: `w${n}`,
                channel,
                authorization: { host, 'x-api-key': apiKey },
              }),
            );
          } else if (text.includes('subscribe_success')) {
            resolve();
          }
        });
      }),
    );
    // Connect in batches so the listen backlog is never the bottleneck.
    if (n % 500 === 499) await Promise.all(opening.slice(-500));
  }
  await Promise.all(opening);
}

await Promise.all(urls.map((url, index) => crowd(url, index)));
process.stdout.write('ready\n');
