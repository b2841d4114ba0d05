import { readFileSync, readlinkSync } from 'node:fs';

/** This thread's id in the OS (`/proc/<pid>/task/<tid>`), so benchmarks can read its CPU time. */
export function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || undefined;
  } catch {
    return undefined; // not Linux
  }
}

/** CPU time (user + system, ms) a thread of this process has used, from /proc; undefined off Linux. */
export function threadCpuMs(threadId: number, pid = process.pid): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${threadId}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK) is not reachable from Node). */
const CLOCK_TICKS = 100;
