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
  return statCpuMs(`/proc/${pid}/task/${threadId}/stat`);
}

/** USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK) is not reachable from Node). */
const CLOCK_TICKS = 100;

/** CPU time (user + system, ms) of a whole process, every thread included; undefined off Linux. */
export function processCpuMs(pid: number): number | undefined {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** Busy and total CPU time of the machine (all cores, ms), from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } | undefined {
  try {
    const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    const ticks = values.map(Number);
    const total = ticks.reduce((sum, value) => sum + value, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
    return { busy: ((total - idle) * 1000) / CLOCK_TICKS, total: (total * 1000) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** utime + stime of a /proc stat file, in ms. */
function statCpuMs(file: string): number | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
