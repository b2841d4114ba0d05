import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresClient } from '../functions/adapters/postgres/client.js';
import { databaseUrlFromSecret } from '../functions/adapters/postgres/database-url.js';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('database URL from the RDS secret', () => {
  it('points at the proxy with verified TLS and without named prepared statements', () => {
    const url = new URL(
      databaseUrlFromSecret(
        { username: 'app', password: 'p@ss/word', port: 5432, dbname: 'live', host: 'cluster.internal' },
        'proxy.internal',
      ),
    );
    expect(url.hostname).toBe('proxy.internal');
    expect(decodeURIComponent(url.password)).toBe('p@ss/word');
    expect(url.pathname).toBe('/live');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
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

/**
 * `verify-full` as postgres.js applies it (issue 19, item 15): a TLS server that speaks the
 * PostgreSQL SSLRequest preamble, with a certificate for `localhost` made by openssl for this run.
 * The client runs in a child process so that NODE_EXTRA_CA_CERTS (how Node.js adds a CA bundle to
 * its trust store) can be set for it.
 */
describe('sslmode=verify-full checks the certificate chain and the host name', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const handshakes: string[] = [];
  /** The name the server's certificate is issued to. */
  let serving = 'localhost';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'live-sale-tls-'));
    for (const name of ['localhost', 'proxy.internal']) {
      execFileSync(
        'openssl',
        // biome-ignore format: one openssl command line
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
          '-addext', `subjectAltName=DNS:${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`],
        { cwd: dir, stdio: 'ignore', input: '' },
      );
    }
    server = createServer((socket) => {
      socket.once('data', () => {
        socket.write('S'); // "SSL accepted", then the TLS handshake
        const secure = new TLSSocket(socket, {
          isServer: true,
          key: readFileSync(join(dir, `${serving}.key`)),
          cert: readFileSync(join(dir, `${serving}.pem`)),
        });
        secure.on('secure', () => handshakes.push('completed'));
        secure.on('error', () => undefined);
        // The startup message: answered with a FATAL error (SQLSTATE 28000), enough for the test.
        secure.once('data', () => secure.end(errorResponse('28000', 'tls test server')));
      });
      socket.on('error', () => undefined);
    });
    // Every interface: `localhost` may resolve to ::1 or 127.0.0.1.
    await new Promise<void>((resolve) => server.listen(0, resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function errorResponse(code: string, message: string): Buffer {
    const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`);
    const header = Buffer.alloc(5);
    header.write('E');
    header.writeInt32BE(fields.length + 4, 1);
    return Buffer.concat([header, fields]);
  }

  /** Connects from a child process; resolves with the error code postgres.js reports. */
  async function connectFrom(host: string, sslmode: string, extraCa?: string): Promise<string> {
    // verify-full: the URL the deployed functions build from their secret, pointed at this server.
    const url =
      sslmode === 'verify-full'
        ? databaseUrlFromSecret({ username: 'u', password: 'p', dbname: 'db', port }, host)
        : `postgres://u:p@${host}:${port}/db?sslmode=${sslmode}`;
    const script = `
      import postgres from 'postgres';
      const sql = postgres(process.argv[1], { max: 1, connect_timeout: 5 });
      try { await sql\`select 1\`; console.log('connected'); }
      catch (error) { console.log(error.code ?? error.message); }
      finally { await sql.end({ timeout: 0 }); }`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, url],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: { ...process.env, NODE_EXTRA_CA_CERTS: extraCa ?? '' },
      },
    );
    return stdout.trim();
  }

  it('require accepts any certificate (what the deployed URL used to say)', async () => {
    handshakes.length = 0;
    expect(await connectFrom('localhost', 'require')).toBe('28000');
    expect(handshakes).toEqual(['completed']);
  });

  it('verify-full refuses a certificate no trusted CA signed', async () => {
    handshakes.length = 0;
    expect(await connectFrom('localhost', 'verify-full')).toMatch(/SELF_SIGNED/);
    expect(handshakes).toEqual([]);
  });

  it('verify-full accepts it once its CA is trusted, for the name it was issued to only', async () => {
    handshakes.length = 0;
    expect(await connectFrom('localhost', 'verify-full', join(dir, 'localhost.pem'))).toBe('28000');
    expect(handshakes).toEqual(['completed']);
    serving = 'proxy.internal';
    try {
      expect(await connectFrom('localhost', 'verify-full', join(dir, 'proxy.internal.pem'))).toBe(
        'ERR_TLS_CERT_ALTNAME_INVALID',
      );
    } finally {
      serving = 'localhost';
    }
  });
});
