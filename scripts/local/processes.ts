import type { ChildProcess } from 'node:child_process';

/**
 * Child servers (redis-server, postgres) run in their own process group, so that Ctrl-C in the
 * terminal reaches only this process, which drains the queues before stopping them in order. If
 * this process exits another way, the `exit` hook still signals them: no orphan is left behind.
 */
const children = new Map<ChildProcess, NodeJS.Signals>();

process.on('exit', () => {
  for (const [child, signal] of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
});

/** `signal` is the child's graceful shutdown signal, sent if this process exits first. */
export function track(child: ChildProcess, signal: NodeJS.Signals): void {
  children.set(child, signal);
  child.once('exit', () => children.delete(child));
}

/** Sends `signal`, waits for the exit, and escalates to SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
