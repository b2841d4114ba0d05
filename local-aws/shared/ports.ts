import { createServer } from 'node:net';
import { LocalRuntimeError } from './log.js';

/** An ephemeral port that is free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Reads a port from the environment, or its default. */
export function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LocalRuntimeError(`${name}=${raw} is not a port number (0-65535)`);
  }
  return port;
}

/** Fails early, with the variable to change, when a fixed port is taken. */
export async function ensurePortFree(port: number, host: string, variable: string): Promise<void> {
  if (port === 0) return;
  if (!(await isPortFree(port, host))) {
    throw new LocalRuntimeError(
      `port ${port} is already in use (${variable}): stop what listens there (\`lsof -i :${port}\` or \`ss -ltnp\`) or start with ${variable}=<another port>`,
    );
  }
}
