/**
 * What `foyer serve` prints once it answers (issue 11 §5): plain lines on
 * stdout, never inside a log record, so a newcomer sees where to open Foyer
 * from another machine and, on a fresh box, the setup code to type there.
 * The first line stays `Foyer is running at <url> (ready in N ms)`: scripts
 * and tests read it.
 */

export interface BannerInput {
  local: string;
  network: string[];
  readyMs: number;
  /** The first-run setup code, while Foyer has no user. */
  setupCode?: string;
  setupCodePath: string;
}

/** The banner's lines, each ending in a newline. */
export function startBanner(input: BannerInput): string {
  const lines = [`Foyer is running at ${input.local} (ready in ${input.readyMs} ms)`];
  const [first, ...more] = input.network;
  if (first) {
    lines.push(`  From other devices on your network: ${first}`);
    for (const url of more) lines.push(`${' '.repeat(38)}${url}`);
  }
  if (input.setupCode) {
    const where = more.length > 0 ? 'one of the addresses above' : (first ?? input.local);
    lines.push(
      '',
      `  First-run setup code: ${input.setupCode}`,
      `  Open ${where} in a browser and type this code to create the first`,
      `  admin account. It is also in ${input.setupCodePath} (only its owner can read it).`,
    );
  }
  return `${lines.join('\n')}\n`;
}
