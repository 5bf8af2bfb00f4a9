/**
 * Per-name certificate errors from Caddy's own log (issue 13: "failures shown per name with the
 * CA's message"). Caddy 2.6 logs JSON lines. An issuance that fails is logged by `tls.obtain`
 * at level error with the name in `identifier` ("could not get certificate from issuer", then
 * "will retry" with `retrying_in` seconds and the name only at the start of its error). When the CA refused a challenge, that error only says
 * "no solvers available for remaining challenges"; the CA's words are in the ACME client's
 * "validating authorization" records (`http.acme_client`, measured with Caddy 2.6.2 against Pebble:
 * `authorization failed: HTTP 400 urn:ietf:params:acme:error:connection - <detail>`), one per
 * challenge tried since "obtaining certificate". Those are what the name's error shows, with
 * the retry delay. "certificate obtained successfully" clears it. Pure.
 */

interface LogRecord {
  level?: string;
  logger?: string;
  msg?: string;
  identifier?: string;
  error?: string;
  retrying_in?: number;
}

/** The last unresolved error per name, from log lines oldest first. */
export function certificateErrors(lines: Iterable<string>): Map<string, string> {
  const errors = new Map<string, string>();
  // The CA's refusals of the current attempt, per name.
  const refusals = new Map<string, string[]>();
  for (const line of lines) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    let record: LogRecord;
    try {
      record = JSON.parse(line.slice(start)) as LogRecord;
    } catch {
      continue;
    }
    // "will retry" has no identifier: its error starts with the name, `[a.example] Obtain: …`.
    const name = record.identifier ?? /^\[([^\]\s]+)\] /.exec(record.error ?? '')?.[1];
    if (!name || !record.logger) continue;
    if (record.logger.endsWith('acme_client')) {
      if (record.msg === 'validating authorization' && record.error) {
        const said = refusals.get(name) ?? [];
        if (!said.includes(record.error)) said.push(record.error);
        refusals.set(name, said);
      }
      continue;
    }
    if (!record.logger.startsWith('tls')) continue;
    if (record.msg === 'obtaining certificate') refusals.delete(name);
    else if (record.msg === 'certificate obtained successfully') errors.delete(name);
    else if (record.level === 'error' && record.error) {
      const said = refusals.get(name);
      const why = said ? said.join('; ') : record.error;
      // "will retry" repeats the error of "could not get certificate": keep the first words.
      const what =
        record.msg === 'will retry' ? (errors.get(name)?.split(': ')[0] ?? 'error') : record.msg;
      const retry =
        typeof record.retrying_in === 'number' ? ` (retrying in ${record.retrying_in} s)` : '';
      errors.set(name, `${what ?? 'error'}: ${why}${retry}`);
    }
  }
  return errors;
}
