import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsCallError, SqsJsonClient } from './sqs-json-client.js';

const credentials = async () => ({ accessKeyId: 'local', secretAccessKey: 'local' });
const noSleep = async () => undefined;

describe('SqsJsonClient against local-aws-sqs (the SQS JSON protocol the SDK speaks)', () => {
  let server: Server;
  let queueUrl: string;
  const client = new SqsJsonClient({ region: 'us-east-1', credentials });

  beforeAll(async () => {
    server = await createSqsServer({
      port: 0,
      hostname: '127.0.0.1',
      region: 'us-east-1',
      accountId: '000000000000',
    });
    const { port } = server.address() as AddressInfo;
    const sdk = new SQSClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    queueUrl = (await sdk.send(new CreateQueueCommand({ QueueName: 'json-client' }))).QueueUrl as string;
    sdk.destroy();
  });
  afterAll(async () => {
    await client.destroy();
    server.close();
  });

  it('sends a batch, receives it with every attribute, and deletes it', async () => {
    const sent = await client.sendMessageBatch(queueUrl, [
      {
        Id: '0',
        MessageBody: '{"eventId":"e1"}',
        MessageAttributes: { type: { DataType: 'String', StringValue: 'bid.placed' } },
      },
      { Id: '1', MessageBody: 'ünïcode body' },
    ]);
    expect(sent.Successful?.map((entry) => entry.Id).sort()).toEqual(['0', '1']);
    const received = await client.receiveMessage(queueUrl, { max: 10, waitSeconds: 0 });
    expect(received.map((message) => message.Body).sort()).toEqual(['{"eventId":"e1"}', 'ünïcode body']);
    const first = received.find((message) => message.Body === '{"eventId":"e1"}');
    expect(first?.MessageAttributes?.type?.StringValue).toBe('bid.placed');
    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    const deleted = await client.deleteMessageBatch(
      queueUrl,
      received.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
    );
    expect(deleted.Successful).toHaveLength(2);
    expect(await client.receiveMessage(queueUrl, { max: 10, waitSeconds: 0 })).toEqual([]);
  });

  it('reports an error SQS answers by its type, without retrying it', async () => {
    const missing = queueUrl.replace(/json-client$/, 'no-such-queue');
    const error = await client.sendMessageBatch(missing, [{ Id: '0', MessageBody: 'x' }]).catch((e) => e);
    expect(error).toBeInstanceOf(SqsCallError);
    expect(error.name).toMatch(/NonExistentQueue|QueueDoesNotExist/);
    expect(error.retryable).toBe(false);
  });
});

describe('SqsJsonClient retries', () => {
  let server: Server;
  let answers: { status: number; body: string }[] = [];
  const seen: { target: string | undefined; authorization: string | undefined }[] = [];
  let url = '';

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      seen.push({ target: req.headers['x-amz-target'] as string, authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => {
        const answer = answers.shift() ?? { status: 200, body: '{"Successful":[{"Id":"0"}]}' };
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/000000000000/q`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('retries throttling and 5xx up to three attempts, signed each time', async () => {
    const client = new SqsJsonClient({ region: 'us-east-1', credentials, sleep: noSleep });
    seen.length = 0;
    answers = [
      { status: 400, body: '{"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow down"}' },
      { status: 503, body: 'unavailable' },
    ];
    const result = await client.sendMessageBatch(url, [{ Id: '0', MessageBody: 'x' }]);
    expect(result.Successful).toEqual([{ Id: '0' }]);
    expect(seen).toHaveLength(3);
    for (const request of seen) {
      expect(request.target).toBe('AmazonSQS.SendMessageBatch');
      expect(request.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/sqs\/aws4_request/,
      );
    }
    await client.destroy();
  });

  it('gives up after three attempts with the last error', async () => {
    const client = new SqsJsonClient({ region: 'us-east-1', credentials, sleep: noSleep });
    seen.length = 0;
    answers = [500, 500, 500, 500].map((status) => ({ status, body: '{"__type":"InternalError"}' }));
    const error = await client.sendMessageBatch(url, [{ Id: '0', MessageBody: 'x' }]).catch((e) => e);
    expect(error).toBeInstanceOf(SqsCallError);
    expect(error.status).toBe(500);
    expect(seen).toHaveLength(3);
    answers = [];
    await client.destroy();
  });

  it('does not retry a client error', async () => {
    const client = new SqsJsonClient({ region: 'us-east-1', credentials, sleep: noSleep });
    seen.length = 0;
    answers = [{ status: 400, body: '{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"bad"}' }];
    const error = await client.sendMessageBatch(url, [{ Id: '0', MessageBody: 'x' }]).catch((e) => e);
    expect(error.name).toBe('InvalidParameterValue');
    expect(seen).toHaveLength(1);
    await client.destroy();
  });
});
