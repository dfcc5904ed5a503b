/**
 * The Lambda entry point of `dist/function/index.js` (handler setting `index.handler`). With
 * response streaming (the `awslambda` global of Node.js runtimes) it writes newline-delimited
 * JSON as it works: `{"type":"progress","line":…}` lines, then `{"type":"result",…}`; without it,
 * it returns the answer and its progress lines go to the function's log only.
 */
import { parseFunctionOptions } from '../config/function-options.js';
import { PROTOCOL, PROTOCOL_VERSION, type FunctionAnswer, type StreamEvent } from './protocol.js';
import { runFunction } from './run.js';

interface LambdaContext {
  getRemainingTimeInMillis(): number;
}
interface ResponseStream {
  write(chunk: string): unknown;
  end(): void;
}
type StreamingHandler = (event: unknown, stream: ResponseStream, context: LambdaContext) => Promise<void>;
interface LambdaGlobal {
  streamifyResponse(handler: StreamingHandler): unknown;
}

async function answer(event: unknown, context: LambdaContext, progress: (line: string) => void): Promise<FunctionAnswer> {
  const config = parseFunctionOptions(process.env);
  if ('error' in config) {
    return { protocol: PROTOCOL, version: PROTOCOL_VERSION, ok: false, message: `refused: ${config.error}.`, targetState: 'unchanged (the function refused before connecting to it)' };
  }
  return runFunction(event, config, { remainingMs: () => context.getRemainingTimeInMillis(), progress });
}

const logLine = (line: string) => console.log(line);

async function buffered(event: unknown, context: LambdaContext): Promise<FunctionAnswer> {
  return answer(event, context, logLine);
}

const streaming: StreamingHandler = async (event, stream, context) => {
  const send = (item: StreamEvent) => stream.write(`${JSON.stringify(item)}\n`);
  const result = await answer(event, context, (line) => {
    logLine(line);
    send({ type: 'progress', line });
  });
  send({ type: 'result', ...result });
  stream.end();
};

const lambda = (globalThis as { awslambda?: LambdaGlobal }).awslambda;

export const handler = lambda?.streamifyResponse ? lambda.streamifyResponse(streaming) : buffered;
