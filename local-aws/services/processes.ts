import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command line of a process (Linux /proc), or '' when unknown. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/**
 * A server left running by a run of this tool that was killed (SIGKILL cannot be caught): its pid
 * was recorded in `pidFile`; if that process is still that server, it is stopped with `signal`.
 * Returns the pid that was stopped.
 */
export async function stopLeftover(
  pidFile: string,
  /** What the leftover's command line must contain, from the pid file's lines (first line: pid). */
  expected: (lines: string[]) => string,
  signal: NodeJS.Signals,
): Promise<number | undefined> {
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8')
    .split('\n')
    .map((line) => line.trim());
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // A recycled pid belongs to some other program: only the recorded server is stopped.
  if (!commandLine(pid).includes(expected(lines))) return undefined;
  process.kill(pid, signal);
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return pid;
}
