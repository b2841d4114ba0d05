/**
 * The local stand-in of the auction closer (lib/constructs/auction-closer.ts): a Standard Step
 * Functions state machine that waits until an auction's `endsAt`, then invokes the sweeper with
 * `{"closeAuction": {"auctionId"}}`, and waits again when the answer is `not_ended` (anti-sniping).
 *
 * It speaks the one call the functions make, `AWSStepFunctions.StartExecution` in the AWS JSON 1.0
 * protocol, so the same @aws-sdk/client-sfn code runs locally (STEPFUNCTIONS_ENDPOINT) and on AWS.
 * As on AWS, a second start with the same name is the same execution. Signatures are not checked:
 * only the runtime's own functions can reach it (loopback).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CloseInvoker {
  invoke(event: unknown): Promise<unknown>;
}

export interface CloserStats {
  executions: number;
  closes: number;
  waitsAgain: number;
  failures: number;
  /** ms from the execution's endsAt to the moment the close answered, one per close. */
  delaysMs: number[];
}

export interface LocalAuctionCloser {
  endpoint: string;
  stateMachineArn: string;
  stats: CloserStats;
  /** The sweeper function, known once the functions are loaded (their environment needs the endpoint first). */
  setTarget(target: CloseInvoker): void;
  close(): Promise<void>;
}

const MAX_TIMER_MS = 2_147_000_000;

export async function startLocalAuctionCloser(options: {
  host?: string;
  region: string;
  name: string;
  /** Each close, with its delay from endsAt. */
  onClose?: (auctionId: string, delayMs: number) => void;
}): Promise<LocalAuctionCloser> {
  const stats: CloserStats = { executions: 0, closes: 0, waitsAgain: 0, failures: 0, delaysMs: [] };
  const stateMachineArn = `arn:aws:states:${options.region}:000000000000:stateMachine:${options.name}`;
  const executions = new Map<string, { input: string; timer: ReturnType<typeof setTimeout> | undefined }>();
  let target: CloseInvoker | undefined;
  let closing = false;

  const schedule = (name: string, auctionId: string, endsAt: number) => {
    const execution = executions.get(name);
    if (!execution || closing) return;
    execution.timer = setTimeout(
      () => void run(name, auctionId, endsAt),
      Math.min(MAX_TIMER_MS, Math.max(0, endsAt - Date.now())),
    );
  };

  const run = async (name: string, auctionId: string, endsAt: number) => {
    if (Date.now() < endsAt) return schedule(name, auctionId, endsAt);
    for (let attempt = 1; attempt <= 3 && !closing; attempt++) {
      try {
        if (!target) throw new Error('no close function yet');
        const answer = (await target.invoke({ closeAuction: { auctionId } })) as {
          code?: string;
          endsAt?: string;
        };
        if (answer.code === 'not_ended' && answer.endsAt) {
          stats.waitsAgain++;
          return schedule(name, auctionId, Date.parse(answer.endsAt));
        }
        stats.closes++;
        stats.delaysMs.push(Date.now() - endsAt);
        options.onClose?.(auctionId, Date.now() - endsAt);
        executions.delete(name);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 2_000 * attempt));
      }
    }
    // As on AWS: left to the sweeper's next run.
    stats.failures++;
    executions.delete(name);
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      };
      try {
        if (request.headers['x-amz-target'] !== 'AWSStepFunctions.StartExecution') {
          return reply(400, { __type: 'UnknownOperationException', message: 'only StartExecution' });
        }
        const body = JSON.parse(await text(request)) as {
          stateMachineArn?: string;
          name?: string;
          input?: string;
        };
        if (body.stateMachineArn !== stateMachineArn || !body.name || !body.input) {
          return reply(400, { __type: 'InvalidArn', message: 'unknown state machine or missing name/input' });
        }
        const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${body.name}`;
        const started = { executionArn, startDate: Date.now() / 1000 };
        const existing = executions.get(body.name);
        if (existing) {
          return existing.input === body.input
            ? reply(200, started)
            : reply(400, { __type: 'ExecutionAlreadyExists', message: body.name });
        }
        const input = JSON.parse(body.input) as { auctionId?: string; endsAt?: string };
        const endsAt = Date.parse(input.endsAt ?? '');
        if (!input.auctionId || Number.isNaN(endsAt)) {
          return reply(400, { __type: 'InvalidExecutionInput', message: 'auctionId and endsAt (ISO-8601)' });
        }
        stats.executions++;
        executions.set(body.name, { input: body.input, timer: undefined });
        schedule(body.name, input.auctionId, endsAt);
        reply(200, started);
      } catch (error) {
        reply(400, { __type: 'InvalidExecutionInput', message: String(error) });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
    stateMachineArn,
    stats,
    setTarget: (next) => {
      target = next;
    },
    close: async () => {
      closing = true;
      for (const execution of executions.values()) clearTimeout(execution.timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function text(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
