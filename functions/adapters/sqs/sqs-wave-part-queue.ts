import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WavePartQueue } from '../../realtime/ports.js';
import { encodeWavePart, type WavePart } from '../../realtime/wave-part.js';

const ENTRIES_PER_BATCH = 10;

/**
 * Points other fan-out invocations at wave parts through the fanout queue (the parts themselves are
 * in Redis). Best effort: a part whose pointer was lost is sent by the wave's own invocation.
 */
export class SqsWavePartQueue implements WavePartQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(parts: readonly WavePart[]): Promise<void> {
    const batches: WavePart[][] = [];
    for (let start = 0; start < parts.length; start += ENTRIES_PER_BATCH) {
      batches.push(parts.slice(start, start + ENTRIES_PER_BATCH));
    }
    await Promise.all(
      batches.map((batch) =>
        this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map((part, index) => ({ Id: String(index), MessageBody: encodeWavePart(part) })),
          }),
        ),
      ),
    );
  }
}
