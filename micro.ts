import { Agent, request } from 'node:http';
import { SignedPostMessenger } from './functions/adapters/apigw/signed-post-messenger.ts';
import { startWebSocketGateway } from './scripts/local/websocket-gateway.ts';
// gateway in this process; posts go to unknown connection ids -> verified, then 410 (same work minus the ws frame)
const gw = await startWebSocketGateway({ handler: async () => ({ statusCode: 200 }) });
const { fork } = await import('node:child_process');
const body = Buffer.from(JSON.stringify({ type: 'auction.updated', seq: 1, auction: { id: 'x'.repeat(26), title: 'A lot with a title', currentPrice: 12345, status: 'open', endsAt: new Date().toISOString() }, lastBid: { id: 'b', amount: 1, bidderId: 'u', placedAt: new Date().toISOString() } }));
const child = `
import { Agent, request } from 'node:http';
import { SignedPostMessenger } from '${process.cwd()}/functions/adapters/apigw/signed-post-messenger.ts';
const endpoint = process.env.EP; const body = Buffer.from(process.env.BODY);
const u = new URL(endpoint);
const agent = new Agent({ keepAlive: true, maxSockets: 100 });
const raw = (i) => new Promise((res) => { const c = request({ hostname: u.hostname, port: u.port, path: '/@connections/' + encodeURIComponent('conn' + i), method: 'POST', agent, headers: { 'content-length': body.byteLength } }, (r) => { r.resume(); r.once('end', res); }); c.once('error', res); c.end(body); });
const m = new SignedPostMessenger({ endpoint, region: 'us-east-1', credentials: async () => ({ accessKeyId: 'local', secretAccessKey: 'local' }), maxSockets: 100, timeoutMs: 3000 });
const lean = (i) => m.post('conn' + i, body);
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
async function run(fn, n) { let next = 0; const c0 = cpu(); await Promise.all(Array.from({ length: 100 }, async () => { while (next < n) await fn(next++); })); return (cpu() - c0) / n; }
await run(raw, 2000); await run(lean, 2000);
const r = { raw: [], lean: [] };
for (let k = 0; k < 4; k++) { r.raw.push(await run(raw, 5000)); r.lean.push(await run(lean, 5000)); }
console.log('raw POST us/call', r.raw.map(x => x.toFixed(0)).join(' '), '| signed lean us/call', r.lean.map(x => x.toFixed(0)).join(' '));
process.exit(0);
`;
const { writeFileSync } = await import('node:fs');
writeFileSync('./micro-child.ts', child);
const p = fork('./micro-child.ts', [], { env: { ...process.env, EP: gw.managementEndpoint, BODY: body.toString() }, execArgv: ['--import', 'tsx'] });
await new Promise((r) => p.once('exit', r));
console.log('gateway: forbidden', gw.managementStats.forbidden, 'gone', gw.managementStats.gone);
await gw.close();
