// autocannon ships no types; the benchmarks use the small part declared here.
declare module 'autocannon' {
  interface AutocannonResult {
    latency: { p50: number; p99: number; average: number };
    requests: { average: number; total: number };
    statusCodeStats?: Record<string, { count: number }>;
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  function autocannon(options: Record<string, unknown>): Promise<AutocannonResult>;
  export default autocannon;
}
