import { describe, expect, inject, it } from 'vitest';
import { createPostgresClient } from '../functions/adapters/postgres/client.js';
import { databaseUrlFromSecret } from '../functions/adapters/postgres/database-url.js';

describe('database URL from the RDS secret', () => {
  it('points at the proxy with TLS and without named prepared statements', () => {
    const url = new URL(
      databaseUrlFromSecret(
        { username: 'app', password: 'p@ss/word', port: 5432, dbname: 'live', host: 'cluster.internal' },
        'proxy.internal',
      ),
    );
    expect(url.hostname).toBe('proxy.internal');
    expect(decodeURIComponent(url.password)).toBe('p@ss/word');
    expect(url.pathname).toBe('/live');
    expect(url.searchParams.get('sslmode')).toBe('require');
    expect(url.searchParams.get('prepare')).toBe('false');
  });

  it('refuses a secret without credentials', () => {
    expect(() => databaseUrlFromSecret({ host: 'db' })).toThrow(/username and password/);
  });

  // The URL option must reach postgres.js: a named prepared statement would pin an RDS Proxy session.
  it.each([
    { query: '', named: true },
    { query: '?prepare=false', named: false },
  ])('postgres.js prepares named statements: $named with "$query"', async ({ query, named }) => {
    const sql = createPostgresClient({ url: `${inject('databaseUrl')}${query}`, max: 1 });
    try {
      for (let i = 0; i < 3; i += 1) await sql`select ${i}::int as n`;
      const [row] = await sql`select count(*)::int as count from pg_prepared_statements`;
      expect((row?.count ?? 0) > 0).toBe(named);
    } finally {
      await sql.end();
    }
  });
});
