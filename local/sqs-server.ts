import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The SQS-compatible server (fauxqs, in memory) in its own process on a loopback port. */
export interface LocalSqs {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** fauxqs is an ES module; a child process keeps it out of CommonJS callers such as Jest. */
export async function startLocalSqs(port = 0): Promise<LocalSqs> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'fauxqs-server.mjs'), String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const actualPort = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready (\d+)/.exec(output);
      if (ready) resolve(Number(ready[1]));
    });
    child.once('exit', (code) =>
      reject(new Error(`the SQS server exited with ${code} before it was ready: ${errors}`)),
    );
  });
  return {
    port: actualPort,
    endpoint: `http://127.0.0.1:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A queue with its dead-letter queue, as the stack makes them. */
export interface QueueWithDeadLetter {
  readonly url: string;
  readonly arn: string;
  readonly deadLetterUrl: string;
}

/** Creates `name` and `<name>-dlq`, with a redrive policy from the one to the other. */
export async function createQueueWithDeadLetter(
  sqs: SQSClient,
  name: string,
  options: { readonly visibilityTimeoutSeconds: number; readonly maxReceiveCount: number },
): Promise<QueueWithDeadLetter> {
  const arnOf = async (url: string | undefined) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes
      ?.QueueArn ?? '';
  const deadLetter = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await arnOf(deadLetter.QueueUrl),
          maxReceiveCount: options.maxReceiveCount,
        }),
      },
    }),
  );
  return { url: queue.QueueUrl ?? '', arn: await arnOf(queue.QueueUrl), deadLetterUrl: deadLetter.QueueUrl ?? '' };
}
