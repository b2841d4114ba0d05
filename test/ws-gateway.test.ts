import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startWebSocketGateway,
  type WebSocketEvent,
  type WebSocketGateway,
  type WebSocketHandlerResult,
} from '../local-aws/index.js';
import { connectClient, waitFor } from './ws-helpers.js';

let gateway: WebSocketGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

function recorder(onEvent: (event: WebSocketEvent) => WebSocketHandlerResult | undefined = () => undefined) {
  const events: WebSocketEvent[] = [];
  return {
    events,
    handler: async (event: WebSocketEvent) => {
      events.push(event);
      return onEvent(event) ?? { statusCode: 200 };
    },
  };
}

function managementClient(endpoint: string) {
  return new ApiGatewayManagementApiClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

describe('local WebSocket gateway', () => {
  it('emits $connect with query parameters, routes by body.action, and $disconnect', async () => {
    const { events, handler } = recorder();
    gateway = await startWebSocketGateway({ handler, routes: ['ping'] });
    const client = await connectClient(`${gateway.url}/?token=abc&x=1`);
    client.socket.send(JSON.stringify({ action: 'ping' }));
    client.socket.send(JSON.stringify({ action: 'subscribe', topic: 'auction:1' }));
    client.socket.send('not json');
    await waitFor(() => events.length === 4);
    await client.close();
    await waitFor(() => events.length === 5);

    const [connect, ping, subscribe, notJson, disconnect] = events;
    expect(connect?.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT' });
    expect(connect?.queryStringParameters).toEqual({ token: 'abc', x: '1' });
    const id = connect?.requestContext.connectionId;
    expect(id).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(ping?.requestContext).toMatchObject({ routeKey: 'ping', eventType: 'MESSAGE', connectionId: id });
    expect(subscribe?.requestContext.routeKey).toBe('$default');
    expect(subscribe?.body).toBe('{"action":"subscribe","topic":"auction:1"}');
    expect(notJson?.requestContext.routeKey).toBe('$default');
    expect(disconnect?.requestContext).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      connectionId: id,
    });
  });

  it('refuses the handshake with the status $connect returns', async () => {
    const { events, handler } = recorder((event) =>
      event.requestContext.eventType === 'CONNECT' ? { statusCode: 401 } : undefined,
    );
    gateway = await startWebSocketGateway({ handler });
    await expect(connectClient(gateway.url)).rejects.toThrow(/401/);
    expect(events.map((event) => event.requestContext.routeKey)).toEqual(['$connect']);
    expect(gateway.connectionCount()).toBe(0);
  });

  it('serves the management API to the AWS SDK: post, get, delete, and GoneException', async () => {
    const { events, handler } = recorder();
    gateway = await startWebSocketGateway({ handler });
    const client = await connectClient(gateway.url);
    const id = events[0]?.requestContext.connectionId as string;
    const api = managementClient(gateway.managementEndpoint);

    await api.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('{"hello":1}') }));
    await waitFor(() => client.messages.length === 1);
    expect(client.messages[0]).toBe('{"hello":1}');

    const info = await api.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');

    const tooLarge = api.send(
      new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.alloc(128 * 1024 + 1, 97) }),
    );
    await expect(tooLarge).rejects.toBeInstanceOf(PayloadTooLargeException);

    await api.send(new DeleteConnectionCommand({ ConnectionId: id }));
    await waitFor(() => client.closed);
    await waitFor(() => events.at(-1)?.requestContext.routeKey === '$disconnect');

    const gone = api.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('x') }));
    await expect(gone).rejects.toBeInstanceOf(GoneException);
    await expect(gone).rejects.toMatchObject({ $metadata: { httpStatusCode: 410 } });
    const unknown = api.send(new GetConnectionCommand({ ConnectionId: 'nope' }));
    await expect(unknown).rejects.toBeInstanceOf(GoneException);
    api.destroy();
  });

  it('accepts a stage prefix in management paths, as the AWS endpoint has one', async () => {
    const { events, handler } = recorder();
    gateway = await startWebSocketGateway({ handler });
    const client = await connectClient(gateway.url);
    const id = events[0]?.requestContext.connectionId as string;
    const api = managementClient(`${gateway.managementEndpoint}/prod`);
    await api.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('staged') }));
    await waitFor(() => client.messages.includes('staged'));
    api.destroy();
    await client.close();
  });

  it('closes idle connections and those past the maximum duration, with $disconnect', async () => {
    const { events, handler } = recorder();
    gateway = await startWebSocketGateway({ handler, idleTimeoutMs: 200, maxConnectionMs: 60_000 });
    const idle = await connectClient(gateway.url);
    const busy = await connectClient(gateway.url);
    const keepBusy = setInterval(() => busy.socket.send('{"action":"ping"}'), 50);
    await waitFor(() => idle.closed, 3_000);
    expect(idle.closeCode).toBe(1001);
    expect(busy.closed).toBe(false);
    clearInterval(keepBusy);
    await waitFor(() => busy.closed, 3_000);
    expect(events.filter((event) => event.requestContext.eventType === 'DISCONNECT')).toHaveLength(2);

    await gateway.close();
    gateway = await startWebSocketGateway({ handler, maxConnectionMs: 200 });
    const old = await connectClient(gateway.url);
    await waitFor(() => old.closed, 3_000);
    expect(old.closeReason).toMatch(/maximum connection duration/);
  });

  it('closes a connection that sends a message over 128 KiB (1009)', async () => {
    const { handler } = recorder();
    gateway = await startWebSocketGateway({ handler });
    const client = await connectClient(gateway.url);
    client.socket.send('x'.repeat(128 * 1024 + 1));
    await waitFor(() => client.closed);
    expect(client.closeCode).toBe(1009);
  });

  it('answers a failing message handler with API Gateway’s internal error message', async () => {
    gateway = await startWebSocketGateway({
      handler: async (event) => {
        if (event.requestContext.eventType === 'MESSAGE') throw new Error('boom');
        return { statusCode: 200 };
      },
      onError: () => undefined,
    });
    const client = await connectClient(gateway.url);
    client.socket.send('{}');
    await waitFor(() => client.messages.length === 1);
    expect(JSON.parse(client.messages[0] as string)).toMatchObject({ message: 'Internal server error' });
    await client.close();
  });
});
