/** Numbers, sizes and dates as people read them, in the language shown. */
import { locale } from './i18n.ts';

/**
 * A byte count: 512 B, 64 MB, 1.5 GB. Binary multiples, as app.yaml and
 * Compose mean `64m` and as `free` and `df -h` count, under the names people
 * know (an app that needs `64m` shows "64 MB", not "67.1 MB").
 */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  const text = new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
  return `${text} ${units[unit]}`;
}

/** A percentage: 42 %. */
export function formatPercent(ratio: number): string {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(
    ratio,
  );
}

/** A date and time: "29 Nov 2025, 17:04". */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(
    date,
  );
}

/** How long ago: "3 minutes ago", "il y a 3 minutes". */
export function formatAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ['second', 60],
    ['minute', 60],
    ['hour', 24],
    ['day', 30],
    ['month', 12],
  ];
  let value = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return rtf.format(value, unit);
    value = Math.round(value / size);
  }
  return rtf.format(value, 'year');
}

/**
 * A byte size as Compose and app.yaml write it (`512m`, `2g`, `1.5GB`, or a
 * number of bytes), in bytes; undefined if unreadable. Binary units, as
 * Compose reads them (compose/units.ts parseBytes).
 */
export function parseByteSize(input: string | number | undefined): number | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'number') return input;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(input);
  if (!match) return undefined;
  const power = ['', 'k', 'm', 'g', 't'].indexOf((match[2] ?? '').toLowerCase());
  return Math.round(Number(match[1]) * 1024 ** power);
}
