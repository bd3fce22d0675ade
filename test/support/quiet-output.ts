/**
 * Mocha root hooks (loaded by .mocharc's `require`): what the tests and the code under test write to
 * stdout and stderr — oidc-provider's "Unsupported runtime" and development-adapter warnings, the
 * default logger's JSON lines, a test's own console.log — is held back and printed only after a test
 * that failed, so a passing run's report is mocha's alone. Mocha's own writes (the reporter, its
 * warnings) go through at once: they are told apart by the first frame outside Node that wrote them.
 * Nothing in lib/ changes: hosts keep every warning and log line. TEST_OUTPUT=1 shows everything.
 */
import type { Context, RootHookObject } from 'mocha';

type Write = (...args: unknown[]) => boolean;

/** Frames of the write itself: Node's streams and console, and this file. */
const OWN_FRAME = /\(node:|^\s*at node:|quiet-output\.ts/;
const MOCHA_FRAME = /[\\/]node_modules[\\/]mocha[\\/]/;

const held: Array<{ stream: NodeJS.WriteStream; chunk: string | Uint8Array }> = [];
const originals = new Map<NodeJS.WriteStream, Write>();

/** Whether the code that wrote is mocha's (a reporter or mocha's own messages). */
function fromMocha(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const writer = stack
    .split('\n')
    .slice(1)
    .find((frame) => !OWN_FRAME.test(frame));
  return writer === undefined || MOCHA_FRAME.test(writer);
}

function hold(stream: NodeJS.WriteStream): void {
  const original = stream.write;
  const write: Write = (...args) => Reflect.apply(original, stream, args) as boolean;
  originals.set(stream, write);
  stream.write = function (chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    if (fromMocha()) return write(chunk, ...rest);
    held.push({ stream, chunk });
    // A callback among the arguments (encoding, callback) is owed its call, as a real write would make it.
    const done = rest.find((arg): arg is () => void => typeof arg === 'function');
    if (done) process.nextTick(done);
    return true;
  };
}

function release(print: boolean): void {
  const lines = held.splice(0);
  if (!print || !lines.length) return;
  const stderr = originals.get(process.stderr)!;
  stderr('    --- output held back during the failed test ---\n');
  for (const { stream, chunk } of lines) originals.get(stream)!(chunk);
  stderr('    --- end of held output ---\n');
}

if (process.env.TEST_OUTPUT !== '1') {
  hold(process.stdout);
  hold(process.stderr);
}

export const mochaHooks: RootHookObject = {
  afterEach(this: Context) {
    release(this.currentTest?.state === 'failed');
  },
};
