/**
 * The engine's streamed answers: newline-delimited JSON from pulls, builds and
 * `GET /events`. One parser serves all three; it reads in flowing mode (the
 * engine drops events for slow readers), survives lines split across chunks,
 * and turns a callback's exception into the end of the stream rather than an
 * uncaught exception in a socket's event handler.
 */
import { StringDecoder } from 'node:string_decoder';
import {
  EngineError,
  type EngineEvent,
  EngineUnreachableError,
  type EventSubscription,
  type ImageProgress,
} from './adapter.js';

/** A streamed answer body, as docker-modem hands it over. */
export type EngineStream = NodeJS.ReadableStream & { destroy(error?: Error): void };

/** Splits text arriving in arbitrary chunks into JSON values, one per line (given with its text). */
export function jsonLines(onValue: (value: unknown, line: string) => void): {
  write(chunk: Buffer | string): void;
  end(): void;
} {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const line = (text: string) => {
    const trimmed = text.trim();
    if (trimmed === '') return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      // A line that is not JSON carries nothing usable; the periodic resync covers a lost event.
      return;
    }
    onValue(value, trimmed);
  };
  return {
    write(chunk) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        line(text);
        newline = pending.indexOf('\n');
      }
    },
    end() {
      line(pending + decoder.end());
      pending = '';
    },
  };
}

/**
 * Reads a stream of JSON messages to its end, calling `onMessage` for each;
 * resolves when it ends cleanly and rejects when it breaks off or a callback throws.
 */
export function readMessages(
  stream: EngineStream,
  onMessage: (message: Record<string, unknown>, line: string) => void,
  where: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let failure: unknown;
    const parser = jsonLines((value, line) => {
      if (failure !== undefined || !value || typeof value !== 'object') return;
      try {
        onMessage(value as Record<string, unknown>, line);
      } catch (e) {
        failure = e;
        stream.destroy();
      }
    });
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined) reject(error);
      else resolve();
    };
    stream.on('data', (chunk: Buffer) => parser.write(chunk));
    stream.on('end', () => {
      parser.end();
      finish(failure);
    });
    stream.on('error', (e: Error) => finish(failure ?? e));
    stream.on('close', () =>
      finish(failure ?? new EngineUnreachableError(`the engine at ${where} broke off its answer`)),
    );
  });
}

/** The error an `error`/`errorDetail` message reports, if it is one. */
export function streamError(message: Record<string, unknown>): string | undefined {
  const detail = message.errorDetail as { message?: unknown } | undefined;
  if (typeof detail?.message === 'string') return detail.message;
  return typeof message.error === 'string' ? message.error : undefined;
}

/** Follows a pull's progress stream; rejects when the engine reports an error in it. */
export async function followPull(
  stream: EngineStream,
  onProgress: (p: ImageProgress) => void,
  where: string,
): Promise<void> {
  let error: string | undefined;
  await readMessages(
    stream,
    (m) => {
      error ??= streamError(m);
      if (typeof m.status !== 'string') return;
      const detail = (m.progressDetail ?? {}) as { current?: unknown; total?: unknown };
      // "Pulling from <repo>" carries the tag as its id: that is the image, not a layer.
      const layer =
        typeof m.id === 'string' && !m.status.startsWith('Pulling from') ? m.id : undefined;
      onProgress({
        kind: 'pull',
        status: m.status,
        ...(layer !== undefined ? { layer } : {}),
        ...(typeof detail.current === 'number' ? { current: detail.current } : {}),
        ...(typeof detail.total === 'number' ? { total: detail.total } : {}),
      });
    },
    where,
  );
  // The stream answers 200 before the pull fails, so the error has no HTTP status of its own.
  if (error !== undefined) throw new EngineError(error, 500);
}

const TAIL_LINES = 15;

/** Follows a build's output, one progress event per line; rejects with the error and the last lines. */
export async function followBuild(
  stream: EngineStream,
  onProgress: (p: ImageProgress) => void,
  where: string,
): Promise<void> {
  let error: string | undefined;
  let partial = '';
  const tail: string[] = [];
  const emit = (line: string) => {
    const text = line.replace(/\r$/, '');
    if (text.trim() === '') return;
    tail.push(text);
    if (tail.length > TAIL_LINES) tail.shift();
    onProgress({ kind: 'build', line: text });
  };
  await readMessages(
    stream,
    (m) => {
      error ??= streamError(m);
      if (typeof m.stream !== 'string') return;
      // The classic builder splits lines across messages ("Step 1/2 : FROM x", then "\n").
      const lines = (partial + m.stream).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) emit(line);
    },
    where,
  );
  emit(partial);
  if (error !== undefined) {
    const output = tail.length > 0 ? `\nlast build output:\n${tail.join('\n')}` : '';
    throw new EngineError(`${error}${output}`, 500);
  }
}

/** The `since` the events API expects: "seconds.nanoseconds", from nanoseconds since the epoch. */
export function formatSince(nanos: number): string {
  // BigInt splits the (integral) double exactly, where division and % would round.
  const total = BigInt(Math.max(0, Math.trunc(nanos)));
  const seconds = total / 1_000_000_000n;
  const rest = (total % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${rest}`;
}

/**
 * timeNano (~1.8e18) exceeds 2^53, so JSON.parse rounds it to the nearest double, up to 128 ns
 * either way. Read from the line's text and rounded down instead, the time is never after the
 * event, so reconnecting with `since` set to it replays that instant rather than skip past it.
 */
export function timeNanoFloor(line: string): number | undefined {
  const digits = /"timeNano":\s*(\d+)/.exec(line)?.[1];
  if (digits === undefined) return undefined;
  const exact = BigInt(digits);
  const double = new Float64Array([Number(exact)]);
  // For a positive double, the bit pattern minus one is the next smaller double.
  if (BigInt(double[0]!) > exact) new BigInt64Array(double.buffer)[0]! -= 1n;
  return double[0]!;
}

/** An engine event message in the adapter's shape; undefined for a message that is not one. */
export function engineEvent(m: Record<string, unknown>, line = ''): EngineEvent | undefined {
  const actor = (m.Actor ?? {}) as { ID?: unknown; Attributes?: unknown };
  if (typeof m.Type !== 'string' || typeof m.Action !== 'string') return undefined;
  return {
    type: m.Type,
    action: m.Action,
    id: typeof actor.ID === 'string' ? actor.ID : '',
    attributes: (actor.Attributes ?? {}) as Record<string, string>,
    timeNano: timeNanoFloor(line) ?? Number(m.time ?? 0) * 1e9,
  };
}

/**
 * Follows `GET /events` as opened by `open`. `onEnd` is called exactly once,
 * when the stream ends or fails, and never after `close()`.
 */
export function followEvents(
  open: (signal: AbortSignal) => Promise<EngineStream>,
  onEvent: (event: EngineEvent) => void,
  onEnd: (error?: Error) => void,
  mapError: (e: unknown) => Error,
  where: string,
): EventSubscription {
  const abort = new AbortController();
  let stream: EngineStream | undefined;
  let done = false;
  const end = (error?: unknown) => {
    if (done) return;
    done = true;
    onEnd(error === undefined ? undefined : mapError(error));
  };
  open(abort.signal).then(
    (opened) => {
      if (done) return opened.destroy();
      stream = opened;
      readMessages(
        opened,
        (m, line) => {
          const event = engineEvent(m, line);
          if (event) onEvent(event);
        },
        where,
      ).then(() => end(), end);
    },
    (e: unknown) => end(e),
  );
  return {
    close() {
      if (done) return;
      done = true;
      abort.abort();
      stream?.destroy();
    },
  };
}
