/**
 * CPU profiles of the local runtime's threads, for finding where a function instance or the
 * WebSocket gateway spends its time (`node --cpu-prof` is refused in NODE_OPTIONS and does not
 * reach worker threads started by the runtime). With LOCAL_CPU_PROFILE_DIR set, every thread that
 * calls this records a V8 CPU profile from its start for LOCAL_CPU_PROFILE_SECONDS (default 60)
 * and writes `<dir>/<name>-<thread>.cpuprofile`, which Chrome DevTools and speedscope open.
 * Off (the default) it costs nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

export function profileThisThread(name: string): void {
  const directory = process.env.LOCAL_CPU_PROFILE_DIR;
  if (!directory) return;
  const seconds = Number(process.env.LOCAL_CPU_PROFILE_SECONDS ?? 60);
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () =>
    session.post('Profiler.start', () => {
      const timer = setTimeout(() => {
        session.post('Profiler.stop', (error, result) => {
          if (!error) {
            mkdirSync(directory, { recursive: true });
            const file = join(directory, `${name.replace(/[^\w.-]/g, '_')}-${threadId}.cpuprofile`);
            writeFileSync(file, JSON.stringify(result.profile));
          }
          session.disconnect();
        });
      }, seconds * 1000);
      // The profile must not keep a thread alive that has nothing else to do.
      timer.unref();
    }),
  );
}
