import postgres from 'postgres';

/**
 * A scratch database for one benchmark run on BENCH_DATABASE_URL's server (default the machine's),
 * dropped by `drop()`. Without a server that answers, `url` is undefined and the runtime starts an
 * embedded PostgreSQL instead.
 */
export async function createScratchDatabase(
  log: (line: string) => void,
): Promise<{ url: string | undefined; drop: () => Promise<void> }> {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `live_sale_bench_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined, connect_timeout: 3 });
  let url: string | undefined;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const parsed = new URL(serverUrl);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
  } catch {
    log(`no PostgreSQL at ${serverUrl}: the runtime starts an embedded one`);
  }
  return {
    url,
    drop: async () => {
      if (url) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}
