import type { Server } from 'node:http';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { type QueueSettings, queueSettings } from '../../lib/config/event-sources.js';
import { describeError, LocalRuntimeError } from '../shared/log.js';
import { freePort } from '../shared/ports.js';

export const LOCAL_ACCOUNT = '000000000000';

export interface LocalQueue {
  settings: QueueSettings;
  name: string;
  url: string;
  arn: string;
  dlqName: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface LocalSqs {
  endpoint: string;
  description: string;
  client: SQSClient;
  queues: Record<QueueSettings['name'], LocalQueue>;
  stop: () => Promise<void>;
}

export function createLocalSqsClient(endpoint: string, region: string): SQSClient {
  return new SQSClient({
    region,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** CreateQueue, or (when it exists with other attributes) its URL with the attributes updated. */
async function ensureQueue(client: SQSClient, name: string, attributes: Record<string, string>) {
  try {
    const created = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (created.QueueUrl) return created.QueueUrl;
  } catch (error) {
    if ((error as { name?: string }).name !== 'QueueNameExists') throw error;
  }
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`queue ${name} has no URL`);
  await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return QueueUrl;
}

async function queueArn(client: SQSClient, url: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`queue ${url} has no ARN`);
  return Attributes.QueueArn;
}

/**
 * The queues of the data stack (`persist`, `fanout`, each with a dead-letter queue and the
 * redrive policy of lib/config/event-sources.ts), on the in-process local-aws-sqs server or on the
 * SQS endpoint given (LocalStack).
 */
export async function startSqs(options: {
  endpoint?: string;
  region: string;
  prefix: string;
}): Promise<LocalSqs> {
  let server: Server | undefined;
  let endpoint = options.endpoint;
  let description = 'from SQS_ENDPOINT';
  if (!endpoint) {
    const port = await freePort();
    server = await createSqsServer({
      port,
      hostname: '127.0.0.1',
      region: options.region,
      accountId: LOCAL_ACCOUNT,
      emulateQueueCreationLifecycle: false,
    });
    endpoint = `http://127.0.0.1:${port}`;
    description = 'in-process local-aws-sqs, in memory';
  }
  const client = createLocalSqsClient(endpoint, options.region);
  const queues = {} as Record<QueueSettings['name'], LocalQueue>;
  try {
    for (const settings of Object.values(queueSettings)) {
      const retention = String(Math.min(settings.retentionDays, 14) * 86_400);
      const name = `${options.prefix}-${settings.name}`;
      const dlqName = `${name}-dlq`;
      const dlqUrl = await ensureQueue(client, dlqName, { MessageRetentionPeriod: String(14 * 86_400) });
      const dlqArn = await queueArn(client, dlqUrl);
      const url = await ensureQueue(client, name, {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
        MessageRetentionPeriod: retention,
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: settings.maxReceiveCount,
        }),
      });
      queues[settings.name] = {
        settings,
        name,
        url,
        arn: await queueArn(client, url),
        dlqName,
        dlqUrl,
        dlqArn,
      };
    }
  } catch (error) {
    client.destroy();
    server?.close();
    throw new LocalRuntimeError(`could not create the queues on ${endpoint}: ${describeError(error)}`);
  }
  return {
    endpoint,
    description,
    client,
    queues,
    stop: async () => {
      client.destroy();
      if (server) {
        const closing = server;
        await new Promise<void>((resolve) => {
          closing.close(() => resolve());
          closing.closeAllConnections?.();
        });
      }
    },
  };
}

/** Visible + in-flight messages of a queue (ApproximateNumberOfMessages[NotVisible]). */
export async function queueDepth(
  client: SQSClient,
  url: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}
