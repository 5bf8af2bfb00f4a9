/**
 * Container logs as lines. A container without a TTY answers with Docker's
 * multiplexed stream (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian length); one with a TTY answers raw text. Either way the reader
 * yields whole lines, split across frames and chunks correctly.
 */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** With `timestamps`, the line starts with Docker's RFC 3339 time. */
  text: string;
}

/** Splits a multiplexed (or raw, when `tty`) log stream into lines. */
export async function* logLines(
  body: AsyncIterable<Buffer | string>,
  tty: boolean,
): AsyncGenerator<LogLine> {
  let buffer = Buffer.alloc(0);
  const pending: Record<LogLine['stream'], string> = { stdout: '', stderr: '' };
  function* emit(stream: LogLine['stream'], text: string): Generator<LogLine> {
    const parts = (pending[stream] + text).split('\n');
    pending[stream] = parts.pop() ?? '';
    for (const line of parts) yield { stream, text: line.replace(/\r$/, '') };
  }
  for await (const chunk of body) {
    if (tty) {
      yield* emit('stdout', chunk.toString());
      continue;
    }
    buffer = Buffer.concat([buffer, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    while (buffer.length >= 8) {
      const size = buffer.readUInt32BE(4);
      if (buffer.length < 8 + size) break;
      const stream = buffer[0] === 2 ? 'stderr' : 'stdout';
      yield* emit(stream, buffer.subarray(8, 8 + size).toString('utf8'));
      buffer = buffer.subarray(8 + size);
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    if (pending[stream]) yield { stream, text: pending[stream] };
  }
}
