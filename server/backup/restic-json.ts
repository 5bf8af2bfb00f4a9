/**
 * What restic 0.14 says in `--json` (internal/ui/backup/json.go @v0.14.0): line-delimited
 * messages of `backup` (status, error, verbose_status, summary) and the arrays of `snapshots`.
 * Pure, so the shapes are pinned by the unit tier against lines restic really printed.
 */

/** One `status` line: what the job shows live. */
export interface BackupStatus {
  kind: 'status';
  percent: number;
  secondsRemaining?: number;
  totalFiles?: number;
  filesDone?: number;
  totalBytes?: number;
  bytesDone?: number;
  currentFiles: string[];
}

/** The `summary` line: 0.14 gives the short snapshot id only (the full one came in 0.15). */
export interface BackupSummary {
  kind: 'summary';
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dataAdded: number;
  totalFilesProcessed: number;
  totalBytesProcessed: number;
  totalDuration: number;
}

/** An `error` line: a file restic could not read (the snapshot is still made, exit code 3). */
export interface BackupFileError {
  kind: 'error';
  during: string;
  item: string;
  message: string;
}

export type BackupMessage = BackupStatus | BackupSummary | BackupFileError;

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** Reads one line of `restic backup --json`; undefined for other lines and unknown types. */
export function parseBackupLine(line: string): BackupMessage | undefined {
  let message: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    message = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  switch (message.message_type) {
    case 'status':
      return {
        kind: 'status',
        percent: num(message.percent_done) ?? 0,
        secondsRemaining: num(message.seconds_remaining),
        totalFiles: num(message.total_files),
        filesDone: num(message.files_done),
        totalBytes: num(message.total_bytes),
        bytesDone: num(message.bytes_done),
        currentFiles: Array.isArray(message.current_files)
          ? message.current_files.filter((f): f is string => typeof f === 'string')
          : [],
      };
    case 'summary':
      return {
        kind: 'summary',
        snapshotId: typeof message.snapshot_id === 'string' ? message.snapshot_id : '',
        filesNew: num(message.files_new) ?? 0,
        filesChanged: num(message.files_changed) ?? 0,
        filesUnmodified: num(message.files_unmodified) ?? 0,
        dataAdded: num(message.data_added) ?? 0,
        totalFilesProcessed: num(message.total_files_processed) ?? 0,
        totalBytesProcessed: num(message.total_bytes_processed) ?? 0,
        totalDuration: num(message.total_duration) ?? 0,
      };
    case 'error': {
      const error = message.error as { message?: unknown } | undefined;
      return {
        kind: 'error',
        during: typeof message.during === 'string' ? message.during : '',
        item: typeof message.item === 'string' ? message.item : '',
        message: typeof error?.message === 'string' ? error.message : 'unreadable',
      };
    }
    default:
      return undefined;
  }
}

/** One snapshot of `restic snapshots --json`. */
export interface Snapshot {
  id: string;
  shortId: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
}

/** Reads `restic snapshots --json` (an array; `null` when the repository has none). */
export function parseSnapshots(text: string): Snapshot[] {
  const parsed: unknown = JSON.parse(text.trim() || 'null');
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) throw new Error('restic snapshots --json did not print an array');
  return parsed.map((entry: Record<string, unknown>) => {
    const id = String(entry.id ?? '');
    return {
      id,
      shortId: typeof entry.short_id === 'string' ? entry.short_id : id.slice(0, 8),
      time: String(entry.time ?? ''),
      hostname: String(entry.hostname ?? ''),
      paths: Array.isArray(entry.paths) ? entry.paths.map(String) : [],
      tags: Array.isArray(entry.tags) ? entry.tags.map(String) : [],
    };
  });
}

/** The value of a `key=value` tag, e.g. `foyer-install` of a snapshot. */
export function tagValue(tags: string[], key: string): string | undefined {
  const found = tags.find((t) => t.startsWith(`${key}=`));
  return found?.slice(key.length + 1);
}

/** restic's words from its stderr: the `Fatal:` line when there is one, else the last lines. */
export function resticMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.find((l) => l.startsWith('Fatal:'));
  if (fatal) return fatal.replace(/^Fatal:\s*/, '');
  return lines.slice(-3).join('; ') || 'restic failed without a message';
}
