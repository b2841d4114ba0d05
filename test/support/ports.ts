import { freePort, isPortFree } from '../../local-aws/index.js';

export { freePort };

/** A port whose Redis Cluster bus port (port + 10000) is free too. */
export async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isPortFree(port, '127.0.0.1')) && (await isPortFree(port + 10_000, '127.0.0.1'))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair for a Redis Cluster node');
}
