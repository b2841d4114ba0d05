/**
 * One shard of the bench's spread-out Events API (events-shards.ts): the local stand-in in its own
 * process, so that its sockets count against this process's open-file limit (20,000 on the bench
 * machine), not the runtime's. Reports its URLs over IPC, answers `stats`, stops on SIGTERM.
 */
import { startEventsApi } from '../../local-aws/index.js';

const api = await startEventsApi({ port: 0, apiKey: process.env.EVENTS_SHARD_API_KEY as string });
process.on('message', (message) => {
  if ((message as { type?: string }).type === 'stats') process.send?.({ type: 'stats', stats: api.stats() });
});
process.on('SIGTERM', () => void api.stop().finally(() => process.exit(0)));
process.send?.({ type: 'ready', httpUrl: api.httpUrl, realtimeUrl: api.realtimeUrl, host: api.host });
