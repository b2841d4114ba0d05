import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  parentPid: number;
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { parentPid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/**
 * CPU seconds (user + system) used so far by a process and its children that are still running
 * (the cluster workers of a bench server). Throughput on this shared machine moves with the host's
 * load; CPU time per request moves much less, so the benchmarks print both. Linux only: elsewhere
 * it reads 0 and the figure is left out.
 */
export function processTreeCpuSeconds(rootPid: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  let ticks = 0;
  for (const entry of entries) {
    const pid = Number(entry);
    const stat = readStat(pid);
    if (stat && (pid === rootPid || stat.parentPid === rootPid)) ticks += stat.cpuTicks;
  }
  return ticks / TICKS_PER_SECOND;
}
