import { createServer, type Server, connect as tcpConnect } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureApplicationUser } from '../functions/adapters/postgres/application-user.js';
import { createPostgresClient, type Sql } from '../functions/adapters/postgres/client.js';
import { waitForDatabase } from '../functions/adapters/postgres/wait-for-database.js';
import { freePort } from './support/ports.js';

/**
 * The deployed functions log in as two users (issue 19, item 15): the schema owner runs the
 * migrations (migrate only) and creates the application user that http, writer and sweeper use.
 * Run against the test database as its owner, as the migrate function does on Aurora.
 */
const username = `live_sale_app_${Math.random().toString(36).slice(2, 10)}`;
const password = 'Apppassword-0123456789abcdef';
let owner: Sql;
let app: Sql;

function urlAs(user: string): string {
  const url = new URL(inject('databaseUrl'));
  url.username = user;
  url.password = password;
  return url.toString();
}

beforeAll(async () => {
  owner = createPostgresClient({ url: inject('databaseUrl'), max: 1 });
  await ensureApplicationUser(owner, { username, password });
  app = postgres(urlAs(username), { max: 1, onnotice: () => undefined });
});

afterAll(async () => {
  await app?.end();
  // Roles are cluster-wide: remove this one and what it was granted in this database.
  await owner.unsafe(`DROP OWNED BY ${username}`);
  await owner.unsafe(`DROP ROLE IF EXISTS ${username}`);
  await owner.end();
});

const denied = (promise: Promise<unknown>) => expect(promise).rejects.toMatchObject({ code: '42501' });

describe('the application user', () => {
  it('logs in with a password and is no superuser', async () => {
    const [role] = await owner`
      SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = ${username}`;
    expect(role).toEqual({ rolcanlogin: true, rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    const [stored] = await owner`SELECT rolpassword FROM pg_authid WHERE rolname = ${username}`;
    expect(String(stored?.rolpassword)).toMatch(/^SCRAM-SHA-256\$/);
    const [me] = await app`SELECT current_user AS name`;
    expect(me?.name).toBe(username);
  });

  it('reads and writes every application table', async () => {
    const tables = await owner<{ name: string }[]>`
      SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`;
    expect(tables.length).toBeGreaterThan(3);
    for (const { name } of tables) {
      for (const privilege of ['SELECT', 'INSERT', 'UPDATE', 'DELETE']) {
        const [row] = await owner`SELECT has_table_privilege(${username}, ${name}, ${privilege}) AS ok`;
        expect({ name, privilege, ok: row?.ok }).toEqual({ name, privilege, ok: true });
      }
    }
    const id = `role-test-${Date.now()}`;
    await app`
      INSERT INTO events (event_id, entity_type, entity_id, seq, type, occurred_at, payload)
      VALUES (${id}, 'auction', ${id}, 1, 'auction.created', now(), '{}'::jsonb)`;
    const rows = await app`DELETE FROM events WHERE event_id = ${id} RETURNING event_id`;
    expect(rows).toHaveLength(1);
  });

  it('cannot change the schema nor touch the migration ledger', async () => {
    await denied(app.unsafe('CREATE TABLE intruder (id int)'));
    await denied(app.unsafe('DROP TABLE events'));
    await denied(app.unsafe('ALTER TABLE events ADD COLUMN intruder int'));
    await denied(app.unsafe('TRUNCATE events'));
    await denied(app.unsafe('SELECT * FROM schema_migrations'));
  });

  it('gets the data rights on tables a later migration creates, and a second run changes nothing else', async () => {
    await owner.unsafe('CREATE TABLE later_migration_table (id int PRIMARY KEY)');
    try {
      await app`INSERT INTO later_migration_table (id) VALUES (1)`;
      const [row] = await app`SELECT count(*)::int AS n FROM later_migration_table`;
      expect(row?.n).toBe(1);
      await ensureApplicationUser(owner, { username, password: `${password}-rotated` });
      const [after] = await app`SELECT count(*)::int AS n FROM later_migration_table`;
      expect(after?.n).toBe(1);
    } finally {
      await owner.unsafe('DROP TABLE later_migration_table');
    }
  });

  it('refuses a user name that is not a plain identifier, and a weak or control-character password', async () => {
    await expect(ensureApplicationUser(owner, { username: 'app"; drop', password })).rejects.toThrow(
      /plain identifier/,
    );
    await expect(ensureApplicationUser(owner, { username, password: 'short' })).rejects.toThrow(/16\+/);
    await expect(ensureApplicationUser(owner, { username, password: `${password}\n` })).rejects.toThrow(
      /printable/,
    );
  });
});

describe('the migrate function waits for the network path (issue 19, item 10)', () => {
  let forwarder: Server | undefined;
  afterAll(() => forwarder?.close());

  it('retries a refused connect until the database is reachable', async () => {
    const target = new URL(inject('databaseUrl'));
    const port = await freePort();
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const sql = createPostgresClient({ url: url.toString(), max: 1 });
    // Nothing listens on `port` for the first ~1.5 s, as before a security-group rule applies.
    setTimeout(() => {
      forwarder = createServer((client) => {
        const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      }).listen(port, '127.0.0.1');
    }, 1_500);
    const retries: number[] = [];
    try {
      const attempts = await waitForDatabase(sql, {
        timeoutMs: 10_000,
        intervalMs: 250,
        onRetry: (attempt) => retries.push(attempt),
      });
      expect(attempts).toBeGreaterThan(1);
      expect(retries.length).toBe(attempts - 1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('gives up after its timeout, and at once on an answer that will not change', async () => {
    const closed = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const unreachable = createPostgresClient({ url: closed, max: 1 });
    const started = Date.now();
    await expect(waitForDatabase(unreachable, { timeoutMs: 1_000, intervalMs: 200 })).rejects.toThrow(
      /not reachable after [3-9] attempt/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    await unreachable.end({ timeout: 1 });

    const missing = new URL(inject('databaseUrl'));
    missing.pathname = '/no_such_database_for_this_test';
    const wrong = createPostgresClient({ url: missing.toString(), max: 1 });
    await expect(waitForDatabase(wrong, { timeoutMs: 10_000, intervalMs: 200 })).rejects.toThrow(
      /after 1 attempt/,
    );
    await wrong.end({ timeout: 1 });
  });
});
