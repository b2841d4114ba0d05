import type { Server } from 'node:http';
import { createSqsServer } from 'local-aws-sqs';
import { freePort } from './ports.js';

export interface LocalSqs {
  endpoint: string;
  queueUrl: (name: string) => string;
  stop: () => Promise<void>;
}

const ACCOUNT = '000000000000';

/** A real SQS-protocol server (local-aws-sqs) with the queues the stack defines. */
export async function startLocalSqs(queueNames: string[]): Promise<LocalSqs> {
  const port = await freePort();
  const server: Server = await createSqsServer({
    port,
    hostname: '127.0.0.1',
    accountId: ACCOUNT,
    emulateQueueCreationLifecycle: false,
    queues: queueNames.map((QueueName) => ({ QueueName })),
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    queueUrl: (name) => `${endpoint}/${ACCOUNT}/${name}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
