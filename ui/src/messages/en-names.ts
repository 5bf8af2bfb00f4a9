/**
 * English messages of the "Names and HTTPS" screen (issue 13). Loaded with
 * the screen's own chunk, not the first load (lib/i18n.ts `translator`);
 * ./fr-names.ts has the same keys. Words for a household admin: what to do
 * and where, not how TLS works. In the `*Steps` messages, `|` separates the
 * steps of a numbered list.
 */
export const names = {
  'names.intro':
    'Give this box a domain name, and Foyer and every app get their own address with HTTPS: Foyer at {example}, each app at its own name under it. Passwords then travel encrypted, and phones accept calendars and contacts.',
  'names.current': 'Now',
  'names.none':
    'No domain yet: apps are reached by this box’s address and a port number, without HTTPS.',
  'names.currentAt': 'Foyer is at',
  'names.currentPublic': 'with certificates from a public certificate authority.',
  'names.currentInternal':
    'with certificates from this box’s own certificate authority (home mode).',
  'names.refresh': 'Check again',
  'names.edgeWaiting': 'Foyer is starting the part that answers on these names…',
  'names.edgeFailed':
    'The part of Foyer that answers on these names has a problem, so the names do not work yet: {error}',

  'names.form': 'Domain and certificates',
  'names.mode': 'Where these names are used',
  'names.modePublic': 'On the internet',
  'names.modePublicHint':
    'Free certificates from Let’s Encrypt, trusted by every device. Needs a domain you own that points to your home’s internet connection, and ports 80 and 443 forwarded by your router.',
  'names.modeInternal': 'At home only',
  'names.modeInternalHint':
    'This box signs the certificates itself. Nothing to open on your router, and the domain need not be registered; each device must trust this box’s certificate once (see below).',
  'names.domain': 'Domain',
  'names.domainHint':
    'Such as home.example.org. Foyer will be at this name, each app at its id in front of it.',
  'names.domainRequired': 'Type a domain name, such as home.example.org.',
  'names.email': 'Email address for the certificate authority',
  'names.emailHint': 'Optional. Let’s Encrypt writes to it before a certificate expires unrenewed.',
  'names.advanced': 'Another certificate authority (advanced)',
  'names.acme': 'ACME directory URL',
  'names.acmeHint':
    'Empty for Let’s Encrypt. For a company or test authority, its directory address.',
  'names.acmeRoot': 'The authority’s root certificate (PEM file)',
  'names.acmeRootHint':
    'Only if its directory is served with a certificate your box does not already trust.',
  'names.acmeRootChosen': 'Chosen: {file}',
  'names.acmeRootClear': 'Remove the file',
  'names.apply': 'Apply',
  'names.applying': 'Applying…',
  'names.applied': 'Saved. Foyer is getting the certificates; each name below shows how it goes.',
  'names.fixErrors': 'Nothing was changed. Check the fields marked above.',
  'names.notChanged': 'Nothing was changed: {problems}.',

  'names.list': 'Names',
  'names.listEmpty': 'No names yet.',
  'names.colName': 'Name',
  'names.foyer': 'Foyer',
  'names.certificate': 'A certificate for mail or chat',
  'names.autoconfig': 'Mail settings for Thunderbird',
  'names.validUntil': 'Valid until {date}, renewed on its own',
  'names.issuer': 'Signed by {issuer}',
  'names.issuer.local': 'Signed by this box’s own certificate authority',
  'names.issuer.letsEncrypt': 'Signed by Let’s Encrypt',
  'names.issuer.letsEncryptStaging':
    'Signed by Let’s Encrypt’s test service (not trusted by browsers)',
  'names.pending': 'Waiting for a certificate…',
  'names.open': 'Open {name}',
  'names.problem.dns':
    'This name does not point to this box yet. Check the DNS records below; a change can take up to an hour to be seen everywhere.',
  'names.problem.unreachable':
    'The certificate authority could not reach this box. Check that your router forwards ports 80 and 443 to it.',
  'names.problem.wrongBox':
    'Something else answered for this name: it may point to another machine, or the router forwards to another one.',
  'names.problem.rateLimit':
    'The certificate authority asks to wait: too many certificates were asked for this domain. Foyer tries again later on its own.',
  'names.problem.caa':
    'The domain’s DNS allows only other certificate authorities (a CAA record). Add one for this authority or remove it.',
  'names.problem.other': 'No certificate yet. Foyer tries again on its own.',
  'names.caSaid': 'The certificate authority said: {message}',
  'names.retrying': 'Until it works, the apps stay reachable on your home network as before.',

  'names.dns': 'DNS records to create',
  'names.dnsPublic':
    'At the company where you registered the domain (its DNS settings), create these records. “Your address” is your home’s public IP address: search “what is my IP” from home.',
  'names.dnsInternal':
    'In your home router’s DNS settings (often called local DNS, DNS rewrites or static DNS), or on your own DNS server, make these names point to this box’s address on your network{address}.',
  'names.dnsAddressHere': ', {address}',
  'names.colType': 'Type',
  'names.colPointsTo': 'Points to',
  'names.colPurpose': 'For',
  'names.yourAddress': 'your address',
  'names.boxAddress': 'this box’s address',
  'names.mxValue': '{name} (priority {priority})',
  'names.for.foyer': 'Foyer',
  'names.for.apps': 'every app, now and later',
  'names.for.mail': 'mail to your addresses',
  'names.dnsWildcardNote':
    'If your DNS provider has no “*” (wildcard) records, create one A record per name instead: {names}.',
  'names.dnsIpv6':
    'A is for an IPv4 address, AAAA for IPv6: create AAAA records only if you have IPv6.',

  'names.ports': 'Ports to forward on your router',
  'names.portsIntro':
    'In your router’s settings (port forwarding, NAT or virtual server), send these ports to this box:',
  'names.portsNone': 'Nothing to forward in home mode: the names are only used inside your home.',
  'names.port80': 'HTTP: the certificate authority’s checks, and sending visitors on to HTTPS',
  'names.port443': 'HTTPS: Foyer and the apps’ pages',
  'names.portApp': 'used by {name}',
  'names.portTo': 'to this box’s port {port}',
  'names.portKnown.25': 'mail from other servers (SMTP)',
  'names.portKnown.465': 'sending mail (SMTPS)',
  'names.portKnown.587': 'sending mail (submission)',
  'names.portKnown.143': 'reading mail (IMAP)',
  'names.portKnown.993': 'reading mail (IMAPS)',
  'names.portKnown.5222': 'chat apps (XMPP)',
  'names.portKnown.5269': 'chat with other servers (XMPP)',

  'names.trust': 'Trust this box on your devices',
  'names.trustIntro':
    'In home mode this box signs its own certificates. Each phone, tablet and computer must trust its certificate once; until then browsers warn that the connection is not private. The certificate only lets this box vouch for its own names.',
  'names.download': 'Download the certificate',
  'names.downloadHint':
    'A file named {file}. Send it to each device (by email, a chat message or a cable), or sign in there and download it from this page.',
  'names.android': 'Android',
  'names.androidSteps':
    'Put the file on the phone: download it from this page, or receive it by email or a cable.|Open Settings › Security (or Security & privacy) › More security settings › Encryption & credentials › Install a certificate › CA certificate.|Tap “Install anyway” and choose the file. Menus differ between phones: if you cannot find it, search Settings for “CA certificate”.|Browsers trust it; some apps ignore certificates you add.',
  'names.ios': 'iPhone and iPad',
  'names.iosSteps':
    'Download the file from this page in Safari, or receive it by AirDrop or email and open it; tap Allow.|Open Settings: tap “Profile Downloaded” (or General › VPN & Device Management), then Install.|Then Settings › General › About › Certificate Trust Settings: turn on full trust for the Foyer certificate.',
  'names.windows': 'Windows',
  'names.windowsSteps':
    'Double-click the file and choose “Install Certificate…”.|Choose Local Machine, then “Place all certificates in the following store” › Browse › Trusted Root Certification Authorities, and Finish.|Edge and Chrome use it; restart them.',
  'names.macos': 'macOS',
  'names.macosSteps':
    'Double-click the file: Keychain Access opens; add it to the System keychain.|Double-click the certificate in the list, open Trust and set “When using this certificate” to Always Trust. Close the window and confirm with your password.|Safari and Chrome use it.',
  'names.linux': 'Linux (Debian, Ubuntu)',
  'names.linuxSteps':
    'Copy the file into the system’s list and update it:|Command-line tools and most programs use it. Chrome and Chromium keep their own list: Settings › Privacy and security › Security › Manage certificates, then import it as an authority.',
  'names.firefox': 'Firefox (every system)',
  'names.firefoxSteps':
    'Firefox has its own list: Settings › Privacy & Security › Certificates › View Certificates… › Authorities › Import…, choose the file and tick “Trust this CA to identify websites”.|On Windows and macOS, Firefox can instead use what you added to the system: in the same place, tick “Allow Firefox to automatically trust third-party root certificates you install” (security.enterprise_roots.enabled).',
} as const;

export type NamesKey = keyof typeof names;
