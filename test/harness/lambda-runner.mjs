/**
 * Runs one invocation of a built Lambda bundle the way the Node.js runtime does, in its own
 * process: loads the bundle, calls `handler(event, context)` (or, when the bundle wrapped its
 * handler with `awslambda.streamifyResponse`, `handler(event, responseStream, context)`), and
 * reports on file descriptor 3, one JSON line per item: `{"chunk": text}` for each streamed write,
 * then `{"result": payload}` or `{"error": {errorType, errorMessage}}`. Its stdout and stderr are
 * the function's log. The parent (test/harness/fake-lambda.ts) enforces the time limit.
 *
 *   node lambda-runner.mjs <bundle> <timeout ms>   (the event on stdin)
 */
import { Buffer } from 'node:buffer';
import { createWriteStream } from 'node:fs';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const [bundle, timeoutText] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutText);
const report = createWriteStream('', { fd: 3 });
const send = (item) => new Promise((resolve) => report.write(`${JSON.stringify(item)}\n`, resolve));

const STREAMING = Symbol('streaming');
globalThis.awslambda = {
  streamifyResponse: (handler) => Object.assign(handler, { [STREAMING]: true }),
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const event = JSON.parse(input || 'null');
const context = {
  functionName: 'fake-function',
  awsRequestId: `req-${process.pid}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};

try {
  const { handler } = await import(pathToFileURL(bundle).href);
  if (handler[STREAMING]) {
    let ended;
    const done = new Promise((resolve) => (ended = resolve));
    const stream = {
      write: (chunk) => void send({ chunk: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') }),
      end: () => ended(),
    };
    await handler(event, stream, context);
    await done;
    await send({ result: null });
  } else {
    await send({ result: await handler(event, context) });
  }
} catch (error) {
  await send({ error: { errorType: error?.name ?? 'Error', errorMessage: error?.message ?? String(error) } });
}
report.end(() => process.exit(0));
