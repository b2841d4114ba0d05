/**
 * The demo server's `POST /token` (local runtime only) over real HTTP: it mints tokens for any
 * demo name, so it answers only a request addressed to this server by a loopback name (or a host
 * the runtime was told to allow) and, from a browser, from this server's own origin. A DNS-rebinding
 * page (Host: its own name) or a cross-site form post (Origin: another site) gets 403.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../demo/server/demo-server.js';

let demo: DemoServer;
let port: number;

beforeAll(async () => {
  demo = await startDemoServer({
    port: 0,
    host: '127.0.0.1',
    httpUrl: 'http://127.0.0.1:3000',
    wsUrl: 'ws://127.0.0.1:3001',
    jwtSecret: 'demo-origin-test-secret-0123456789',
    allowedHosts: ['demo.lan'],
  });
  port = Number(new URL(demo.url).port);
});
afterAll(async () => {
  await demo?.stop();
});

function postToken(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ user: 'alice' });
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/token',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('demo POST /token', () => {
  it('answers its own origin by loopback names and allowed hosts', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `demo.lan:${port}`]) {
      const answer = await postToken({ host, origin: `http://${host}` });
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ user: 'alice', token: expect.any(String) });
    }
    // A tool without a browser (curl) sends no Origin.
    expect((await postToken({ host: `127.0.0.1:${port}` })).status).toBe(200);
  });

  it('refuses a foreign Host (DNS rebinding) or a foreign Origin with 403, minting nothing', async () => {
    const refused: Record<string, string>[] = [
      { host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
      { host: `evil.example:${port}` },
      { host: `127.0.0.1:${port + 1}` },
      { host: `127.0.0.1:${port}`, origin: 'http://evil.example' },
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port + 1}` },
      { host: `127.0.0.1:${port}`, origin: 'null' },
      { host: 'not a host' },
    ];
    for (const headers of refused) {
      const answer = await postToken(headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.body).not.toContain('token":');
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'forbidden' } });
    }
  });
});
