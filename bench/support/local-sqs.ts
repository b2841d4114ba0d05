import { spawn } from 'node:child_process';

/** The in-process SQS-protocol server of the test setup, with the given queues. */
export { startLocalSqs as startBenchSqs } from '../../test/support/sqs-server.js';

/**
 * The same server in its own process: in the load generator's process it competes with autocannon,
 * and every request of the measured route waits for it.
 */
export async function startSqsProcess(names: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/sqs-server-process.ts'], {
    env: { ...process.env, QUEUES: names.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /sqs (http\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`SQS server exited with ${code}`)));
  });
  return {
    endpoint,
    queueUrl: (name: string) => `${endpoint}/000000000000/${name}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
