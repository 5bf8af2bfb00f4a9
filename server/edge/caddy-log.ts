/**
 * Per-name certificate errors from Caddy's own log (issue 13: "failures shown per name with the
 * CA's message"). Caddy 2.6 logs JSON lines; an issuance that fails is logged by `tls.obtain`
 * (or `tls.issuance.acme…`) at level error with the name in `identifier` and the CA's words in
 * `error`; "certificate obtained successfully" for the name clears it. Pure.
 */

interface LogRecord {
  level?: string;
  logger?: string;
  msg?: string;
  identifier?: string;
  error?: string;
}

/** The last unresolved error per name, from log lines oldest first. */
export function certificateErrors(lines: Iterable<string>): Map<string, string> {
  const errors = new Map<string, string>();
  for (const line of lines) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    let record: LogRecord;
    try {
      record = JSON.parse(line.slice(start)) as LogRecord;
    } catch {
      continue;
    }
    if (!record.identifier || !record.logger?.startsWith('tls')) continue;
    if (record.msg === 'certificate obtained successfully') errors.delete(record.identifier);
    else if (record.level === 'error' && record.error) {
      errors.set(record.identifier, `${record.msg ?? 'error'}: ${record.error}`);
    }
  }
  return errors;
}
