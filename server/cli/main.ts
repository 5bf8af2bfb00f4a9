/**
 * The `foyer` command. `foyer serve` runs the daemon; every other verb is a
 * client. Heavy modules are imported per verb, so `foyer compose config`
 * never loads Fastify and `foyer serve` never loads the CLI's helpers.
 */
const USAGE = `usage: foyer <command>

  serve                          run the daemon
  compose config <file…>         print the normalised Compose project as JSON
      [--env-file F] [--project-name N] [--profile P]
`;

/** Runs one `foyer` invocation and returns its exit code. */
export async function main(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'serve') {
    const { serve } = await import('../serve.js');
    return serve();
  }
  if (verb === 'compose' && rest[0] === 'config') {
    const { composeConfig } = await import('./compose-config.js');
    return composeConfig(rest.slice(1));
  }
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    process.stdout.write(USAGE);
    return verb === undefined ? 2 : 0;
  }
  process.stderr.write(`foyer: unknown command "${args.join(' ')}"\n\n${USAGE}`);
  return 2;
}
