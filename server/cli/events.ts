/**
 * Reads the daemon's server-sent event stream (`GET /api/events`): `event:`
 * and `data:` fields, a blank line ends an event, `:` lines are keep-alive
 * comments (WHATWG HTML, "Server-sent events", the parsing rules).
 */

export interface ServerEvent {
  event: string;
  data: string;
}

/** The events of a text stream, in order, as they complete. */
export async function* serverEvents(
  source: AsyncIterable<string | Buffer>,
): AsyncGenerator<ServerEvent> {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of source) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (end === -1 || (buffer[end] === '\r' && end === buffer.length - 1)) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
}
