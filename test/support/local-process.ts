/**
 * `npm run local` as a child process in its own process group, on free ports unless told: the
 * real local runtime, used only through its public interfaces, by end-to-end tests and benchmarks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const START_TIMEOUT_MS = 120_000;

export interface ReadyUrls {
  http: string;
  ws: string;
  management: string;
  postgres: string;
  /** The demo web app (DEMO_PORT). */
  demo: string;
  /** The local AppSync Events API of the broadcast channels (EVENTS_PORT): `http://host:port`, '' without one. */
  events: string;
}

export interface LocalProcess {
  child: ChildProcess;
  output: () => string;
  ready: Promise<ReadyUrls>;
  exited: Promise<number | null>;
  /** SIGTERM to the process group; resolves once every pipe is closed. */
  stop: () => Promise<void>;
}

/**
 * Starts `npm run local` with `env` over this process's environment (undefined removes a
 * variable). `options.openFiles` raises the runtime's open-file limit to the hard limit, for
 * thousands of WebSocket connections; with it, `options.nice` starts the runtime (every thread it
 * makes inherits it) at that niceness.
 */
export function startLocal(
  env: Record<string, string | undefined>,
  options: { openFiles?: boolean; nice?: number; echo?: (chunk: string) => void } = {},
): LocalProcess {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_PORT: '0',
    WS_PORT: '0',
    DEMO_PORT: '0',
    EVENTS_PORT: '0',
    ...env,
  };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  const child = options.openFiles
    ? spawn(
        '/bin/bash',
        [
          '-c',
          `ulimit -n "$(ulimit -Hn)"; exec ${options.nice ? `nice -n ${options.nice} ` : ''}npm run --silent local`,
        ],
        {
          cwd: ROOT,
          env: childEnv,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
    : spawn('npm', ['run', '--silent', 'local'], {
        cwd: ROOT,
        env: childEnv,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    options.echo?.(text);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  const ready = new Promise<ReadyUrls>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no ready line within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const check = () => {
      const line = /\[local\] ready +(.*)/.exec(output)?.[1];
      if (!line) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      const field = (name: string) => new RegExp(`${name}=(\\S+)`).exec(line)?.[1] ?? '';
      done({
        http: field('http'),
        ws: field('ws'),
        management: field('management'),
        postgres: field('postgres'),
        demo: field('demo'),
        events: field('events'),
      });
    };
    child.stdout?.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`npm run local exited (${code}) before ready:\n${output}`));
    });
  });
  ready.catch(() => undefined);
  return {
    child,
    output: () => output,
    ready,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
      await exited;
    },
  };
}
