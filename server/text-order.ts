// Sorting by text without ICU: String.prototype.localeCompare builds a collator, which pages
// in ICU's collation data from the node binary and keeps ~3 MiB more resident for the rest of
// the daemon's life (npm run bench:daemon; issue 14's 512 MB board). What the daemon sorts
// (install ids, addresses, package names, ISO times) wants a stable order, not a language's.

/** Orders two strings by UTF-16 code unit, the same on every box whatever its locale. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
