/** An SQS-protocol server (local-aws-sqs) in its own process, so a benchmark can see its CPU apart. */
import { startBenchSqs } from './local-sqs.js';

const queues = (process.env.QUEUES ?? 'bench-persist,bench-fanout').split(',');
const sqs = await startBenchSqs(queues);
console.log(`sqs ${sqs.endpoint}`);
process.on('SIGTERM', async () => {
  await sqs.stop();
  process.exit(0);
});
