/**
 * Steps at a fixed pace, for crowds and bid streams in tests and benchmarks: step `i` is due at
 * `start + i / perSecond`, spread over `lanes` that each run their steps one after another (one
 * lane: a sequence, e.g. bids with rising amounts; many: up to that many in flight, e.g. WebSocket
 * handshakes). A step never starts before its due time; a late one starts at once; the next ones keep their due times, so a stall is not
 * hidden by a slower pace (latency measured from `dueAt` counts the wait: no coordinated omission).
 */
export async function atFixedPace(
  pace: { total: number; perSecond: number; lanes?: number },
  step: (index: number, dueAt: number) => Promise<void>,
): Promise<void> {
  const lanes = Math.max(1, Math.min(pace.lanes ?? 1, pace.total));
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < pace.total) {
        const index = next++;
        const dueAt = start + (index / pace.perSecond) * 1000;
        // Node's timers count whole milliseconds and often fire up to ~1.5 ms before a fractional
        // wait ends: wait again until the due time has really come, so no step starts early.
        for (let wait = dueAt - performance.now(); wait > 0; wait = dueAt - performance.now()) {
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
        await step(index, dueAt);
      }
    }),
  );
}
