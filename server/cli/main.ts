/**
 * The `foyer` command. `foyer serve` runs the daemon; every other verb is a
 * client. Heavy modules are imported per verb, so `foyer compose config`
 * never loads Fastify, `foyer serve` never loads the CLI's helpers, and the
 * client verbs load only node:http and their own small modules.
 */

type Verb = (args: string[]) => Promise<number>;

interface ClientVerb {
  usage: string;
  load: () => Promise<Verb>;
}

/** The client verbs (DESIGN.md "Interfaces"); each talks to the daemon through client.ts. */
const CLIENT_VERBS: Record<string, ClientVerb> = {
  apps: { usage: 'apps [--json]', load: async () => (await import('./apps.js')).apps },
  install: {
    usage:
      'install <app> [--id ID] [--set KEY=VALUE…] [--accept-permissions] [--ignore-requirements] [--wait [--timeout S]] [--json]',
    load: async () => (await import('./installs.js')).install,
  },
  status: {
    usage: 'status [<install>] [--json]',
    load: async () => (await import('./status.js')).status,
  },
  start: {
    usage: 'start <install> [--wait [--timeout S]] [--json]',
    load: async () => (await import('./installs.js')).action('start'),
  },
  stop: {
    usage: 'stop <install> [--wait [--timeout S]] [--json]',
    load: async () => (await import('./installs.js')).action('stop'),
  },
  restart: {
    usage: 'restart <install> [--wait [--timeout S]] [--json]',
    load: async () => (await import('./installs.js')).action('restart'),
  },
  update: {
    usage:
      'update <install> [--set KEY=VALUE…] [--accept-permissions] [--yes] [--wait [--timeout S]] [--json]\n' +
      '       foyer update <install> --check [--json]\n' +
      '       foyer update <install> --auto on|off [--window HH:MM-HH:MM] [--json]',
    load: async () => (await import('./installs.js')).update,
  },
  'catalog reload': {
    usage: 'catalog reload [--json]',
    load: async () => (await import('./apps.js')).reloadCatalog,
  },
  set: {
    usage: 'set <install> KEY=VALUE… [--wait [--timeout S]] [--json]',
    load: async () => (await import('./installs.js')).set,
  },
  uninstall: {
    usage: 'uninstall <install> [--purge] [--yes] [--wait [--timeout S]] [--json]',
    load: async () => (await import('./installs.js')).uninstall,
  },
  images: {
    usage: 'images prune [--json]',
    load: async () => (await import('./images.js')).images,
  },
  adopt: {
    usage: 'adopt <install> [--force NAME…] [--yes] [--wait [--timeout S]] [--json]',
    load: async () => (await import('./adopt.js')).adoptInstall,
  },
  data: {
    usage: 'data [--json] | data rm <install> [--yes] [--json]',
    load: async () => (await import('./data.js')).data,
  },
  backup: {
    usage:
      'backup target add <name> <restic-repository> [--password-stdin] | backup target list [--json] | backup run [<install>] [--target <name>] [--wait] | backup list [<install>] [--json] | backup verify <install> [--wait] | backup key',
    load: async () => (await import('./backup.js')).backup,
  },
  domain: {
    usage:
      'domain set <domain> [--acme <directory-url>] [--acme-root <pem-file>] [--email <address>] | domain set <domain> --internal | domain status [--json] | domain ca',
    load: async () => (await import('./domain.js')).domain,
  },
  restore: {
    usage:
      'restore <install> [--snapshot <id>] [--as <new-install>] [--wait] [--json] | restore --state [--snapshot <id>] [--force] [--apps] [--wait]',
    load: async () => (await import('./backup.js')).restore,
  },
  members: {
    usage:
      'members add <name> --email <address> [--display-name N] [--admin] [--group <g>…] [--password-stdin] | members passwd <name> --password-stdin | members disable|enable|remove|link <name> | members list [--json] | members import <file.csv> | members pending-data [--retry] [--json]',
    load: async () => (await import('./members.js')).members,
  },
  groups: {
    usage: 'groups add <group> | groups list [--json]',
    load: async () => (await import('./members.js')).groups,
  },
  access: {
    usage: 'access grant|revoke <install> <group> | access list <install>',
    load: async () => (await import('./members.js')).access,
  },
  logs: {
    usage: 'logs <install> [--follow] [--tail N] [--timestamps] [--service S] [--json]',
    load: async () => (await import('./logs.js')).logs,
  },
};

const USAGE = `usage: foyer <command>

  serve                          run the daemon
  service-unit                   print the systemd unit that runs it (scripts/up.sh installs it)

  apps [--json]                  the apps of the catalogue
  install <app>                  install an app
      [--id ID] [--set KEY=VALUE…] [--accept-permissions] [--wait] [--json]
      [--ignore-requirements]    even when its memory or disk does not fit what is free
  status [<install>] [--json]    every install's state, or one install with its services,
                                 CPU, memory and disk
  start|stop|restart <install> [--wait] [--json]
  update <install> [--set KEY=VALUE…] [--accept-permissions] [--yes] [--wait] [--json]
                                 says what changes (version, images, access) first
  update <install> --check       ask Debian now for newer packages of its built images
  update <install> --auto on|off [--window HH:MM-HH:MM]
                                 update by itself in a daily window (off by default)
  set <install> KEY=VALUE…       change an install's settings [--wait] [--json]
  uninstall <install>            remove an install, cancelling a change in progress;
      [--purge] [--yes] [--wait] [--json]   --purge also deletes its data and the
                                 images Foyer built for it, else data is kept (see foyer data)
  logs <install>                 the logs of an install's containers
      [--follow] [--tail N] [--timestamps] [--service S] [--json]
  images prune [--json]          remove the images Foyer built that no install uses
  adopt <install>                take over what a lost Foyer left for this install
      [--force NAME…] [--yes] [--wait] [--json]   (its data first); --force takes an
                                 object of a running Foyer, a Compose project or nobody
  data [--json]                  data kept by uninstalls without --purge
  data rm <install> [--yes]      delete an uninstalled app's kept data for good
  backup target add <name> <restic-repository> [--password-stdin]
                                 a folder, sftp:user@host:/path or rest:http(s)://…; a new
                                 repository's password is shown once, as a recovery kit
  backup target list [--json]    the targets
  backup run [<install>] [--target <name>] [--wait]
                                 back up one install, or every install and Foyer's state
  backup list [<install>] [--json]   snapshots with time, size and whether verified
  backup verify <install> [--wait]   check the repository, restore the newest to scratch
  backup key                     Foyer's SSH public key, for SFTP targets' authorized_keys
  domain set <domain> [--acme <directory-url>] [--acme-root <pem-file>] [--email <address>]
                                 names and HTTPS with certificates from an ACME CA
                                 (Let's Encrypt unless --acme): https://<domain>/ for Foyer,
                                 https://<install>.<domain>/ for each app
  domain set <domain> --internal the same at home, with the box's own CA
  domain status [--json]         mode, domain, each name with issuer, expiry and error
  domain ca                      the home CA's root certificate (PEM) for your devices
  restore <install> [--snapshot <id>] [--as <new-install>] [--wait]
                                 in place (the current state snapshotted first), or as a
                                 new install
  restore --state [--snapshot <id>] [--force] [--apps] [--wait]
                                 on a new box: Foyer's own state (store, definitions, edge
                                 certificates) from a target, then every app's data (--apps)

  members add <name> --email <address> [--display-name N] [--group <g>…] [--admin]
      [--password-stdin]         a member of the directory (one login for mail, chat,
                                 calendar); without a password, prints a one-time link
  members passwd <name> --password-stdin
  members disable|enable <name>
  members remove <name> [--delete-data]
                                 their mail, chats, calendars and app data are kept
                                 unless --delete-data (deleted in every app that
                                 declares it; what fails is retried by the daemon)
  members pending-data [--retry] [--json]
                                 removed members' data still to delete, and why it waits
  members link <name>            a new one-time set-password link
  members list [--json]
  members import <file.csv>      columns name,email,display_name,groups (groups
                                 separated by ";"); all lines or none; prints the links
  groups add <group>             groups list [--json]
  access grant|revoke <install> <group>   which groups may use an install

  compose config <file…>         print the normalised Compose project as JSON
      [--env-file F] [--project-name N] [--profile P]
  catalog lint [folder…]         check catalogue apps (a catalogue or app folders;
                                 default Foyer's own catalogue); exit 1 on problems
  catalog reload [--json]        read the catalogue folders again; installs keep their
                                 pinned version, and learn of updates

The client verbs talk to the daemon through $FOYER_DATA_DIR/foyer.sock, or to
FOYER_URL with the API token in FOYER_TOKEN. --wait follows the change until
it is done, showing why when it is not progressing; it gives up (exit 1) on an
error retrying cannot fix, or one that lasts --timeout S seconds (default 120,
or FOYER_WAIT_TIMEOUT; 0: no limit). Exit codes: 0 done, 1 the daemon refused
or the change failed, 2 usage error, 3 the daemon cannot be reached.
`;

/** Runs one `foyer` invocation and returns its exit code. */
export async function main(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'serve') {
    // The daemon waits on Docker and SQLite, never on its own JavaScript: in V8's lite mode (the
    // interpreter alone: no optimised or baseline code, feedback allocated lazily) it idles in
    // ~13 MiB less (issue 12 §5, npm run bench:daemon: 62.3 MiB with 20 installs, against 64.7
    // with --no-opt once backups and updates were loaded too) at 0.2% of a core. Set before
    // its modules are compiled.
    (await import('node:v8')).setFlagsFromString('--lite-mode');
    const { serve } = await import('../serve.js');
    return serve();
  }
  if (verb === 'compose' && rest[0] === 'config') {
    const { composeConfig } = await import('./compose-config.js');
    return composeConfig(rest.slice(1));
  }
  if (verb === 'catalog' && rest[0] === 'lint') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write('usage: foyer catalog lint [folder…]\n');
      return 0;
    }
    const { catalogLint } = await import('../catalog/lint.js');
    return catalogLint(rest.slice(1));
  }
  if (verb === 'service-unit') {
    if (rest.length > 0) {
      process.stdout.write('usage: foyer service-unit\n');
      return rest.includes('--help') || rest.includes('-h') ? 0 : 2;
    }
    const { serviceUnitHere } = await import('../service-unit.js');
    process.stdout.write(serviceUnitHere());
    return 0;
  }
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    process.stdout.write(USAGE);
    return verb === undefined ? 2 : 0;
  }
  // `catalog reload` asks the daemon; `catalog lint` (above) reads folders itself.
  const key = verb === 'catalog' && rest[0] === 'reload' ? 'catalog reload' : verb;
  if (key === 'catalog reload') rest.shift();
  const client = Object.hasOwn(CLIENT_VERBS, key) ? CLIENT_VERBS[key] : undefined;
  if (client) {
    const usage = `usage: foyer ${client.usage}\n`;
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(usage);
      return 0;
    }
    const [run, { reportError }] = await Promise.all([client.load(), import('./output.js')]);
    try {
      return await run(rest);
    } catch (error) {
      return reportError(error, usage);
    }
  }
  process.stderr.write(`foyer: unknown command "${args.join(' ')}"\n\n${USAGE}`);
  return 2;
}
