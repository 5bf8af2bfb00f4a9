/**
 * English messages of the Members screen (admins) and My account (every member), issue 14.
 * Loaded with those screens' own chunks, not the first load (lib/i18n.ts `translator`);
 * ./fr-members.ts has the same keys. LDAP, CSV columns and hashes stay out of the words where
 * they can: a member is a person with one name and password for every service.
 */
export const members = {
  'members.title': 'Members',
  'members.intro':
    'Each member has one name and password for Foyer, mail, chat and calendar. Groups decide which apps a member may use.',
  'members.loadFailed': 'The members could not be read: {reason}',
  'members.list': 'Everyone',
  'members.none': 'No members yet.',
  'members.name': 'Name',
  'members.displayName': 'Display name',
  'members.email': 'Email address',
  'members.state': 'State',
  'members.groups': 'Groups',
  'members.role': 'Role',
  'members.actions': 'Actions',
  'members.noGroups': 'none',
  'members.state.active': 'Active',
  'members.state.disabled': 'Disabled',
  'members.noPassword': 'has not chosen a password yet',
  'members.you': '(you)',

  'members.add': 'Add a member',
  'members.nameHint':
    'Their login and the start of their addresses: lowercase letters, digits, “.”, “_” and “-”.',
  'members.emailHint': 'Where they are reached, such as alice@example.org.',
  'members.displayNameHint': 'How others see them, such as Alice Martin. Optional.',
  'members.groupsNone': 'No groups yet: add one under Groups below.',
  'members.passwordChoice': 'Their password',
  'members.passwordLink': 'They choose it with a one-time link (you pass the link on)',
  'members.passwordTyped': 'I type it now and tell them',
  'members.password': 'Password',
  'members.passwordHint': 'At least 10 characters.',
  'members.addButton': 'Add the member',
  'members.added': '{name} was added.',
  'members.linkIntro':
    'Send this link to {name}: they choose their password with it. It works once, for 7 days.',
  'members.linkLabel': 'Set-password link for {name}',
  'members.copy': 'Copy',
  'members.copied': 'Copied.',

  'members.edit': 'Edit',
  'members.editTitle': 'Edit {name}',
  'members.save': 'Save',
  'members.saved': '{name} was saved.',
  'members.disable': 'Disable',
  'members.enable': 'Enable',
  'members.disabled': '{name} is disabled: every service refuses them now.',
  'members.enabled': '{name} is enabled again.',
  'members.resetLink': 'New password link',
  'members.remove': 'Remove',
  'members.removeTitle': 'Remove {name}?',
  'members.removeBody':
    '{name} can no longer sign in to Foyer, mail, chat or calendar, and leaves every group.',
  'members.removeData': 'Their mail, chats and calendars',
  'members.removeKeep': 'Keep them',
  'members.removeKeepHint': 'They stay in the apps’ data, where an admin can still reach them.',
  'members.removeDelete': 'Delete them',
  'members.removeDeleteHint':
    'Their mailbox, chat contacts and messages, calendars and address books are deleted from every app. This cannot be undone.',
  'members.removed': '{name} was removed.',
  'members.removedDeleted': '{name} was removed, with their mail, chats and calendars.',
  'members.removedNotDeleted':
    '{name} was removed, but this was not deleted yet: {places}. Foyer keeps trying (see “Data still to delete”).',
  'pending.title': 'Data still to delete',
  'pending.intro':
    'These removed members’ data could not be deleted yet. Foyer tries again by itself every few minutes and never gives up; their names cannot be given to new members until it is done.',
  'pending.place': '{member}: {install}, {path}',
  'pending.error': 'tries: {attempts}; last error: {error}',
  'pending.notTried': 'not tried yet',
  'pending.retry': 'Retry now',
  'pending.retrying': 'Retrying…',
  'pending.done': 'All removed members’ data is deleted.',
  'pending.stillWaiting': '{count} places still wait.',

  'groups.title': 'Groups',
  'groups.intro': 'Put members in groups, then let groups use apps.',
  'groups.none': 'No groups yet.',
  'groups.members': 'Members',
  'groups.apps': 'Apps',
  'groups.empty': 'nobody',
  'groups.noApps': 'no app',
  'groups.name': 'New group’s name',
  'groups.nameHint': 'Such as family: lowercase letters, digits, “.”, “_” and “-”.',
  'groups.add': 'Add the group',
  'groups.added': 'The group {name} was added.',

  'access.title': 'Who may use which app',
  'access.intro': 'Tick the groups whose members may sign in to each app.',
  'access.noApps': 'No apps installed yet.',
  'access.noGroups': 'Add a group first.',
  'access.app': 'Groups that may use {app}',
  'access.granted': '{group} may use {app} now.',
  'access.revoked': '{group} may no longer use {app}.',

  'import.title': 'Add many members from a file',
  'import.intro':
    'A CSV file (a spreadsheet saved as CSV) with one member a line. Its first line names the columns: name, email, display_name, groups (groups separated by “;”). Either every line is added, or none.',
  'import.example': 'For example:',
  'import.file': 'The CSV file',
  'import.button': 'Add the members in the file',
  'import.refused': 'Nothing was added. Correct these lines and try again:',
  'import.done': '{count} members were added. Send each one their link:',

  'account.title': 'My account',
  'account.intro': 'Your name and password work for Foyer and every service below.',
  'account.me': 'You',
  'account.services': 'Your services',
  'account.servicesIntro': 'Type these settings into the program on your phone or computer.',
  'account.noServices':
    'No service yet. Ask an administrator to put you in a group that may use mail, chat or calendar.',
  'account.kind.mail': 'Mail',
  'account.kind.chat': 'Chat',
  'account.kind.calendar': 'Calendar and contacts',
  'account.kind.other': 'App',
  'account.field.username': 'User name',
  'account.field.address': 'Your address',
  'account.field.server': 'Server',
  'account.field.imaps': 'Incoming mail (IMAP, SSL/TLS) port',
  'account.field.imap': 'Incoming mail (IMAP, STARTTLS) port',
  'account.field.submission': 'Outgoing mail (SMTP, STARTTLS) port',
  'account.field.xmpp': 'Chat address (XMPP)',
  'account.field.xmppPort': 'Port',
  'account.field.caldav': 'Calendar address (CalDAV)',
  'account.scan.chat':
    'Scan with your phone’s chat app (Conversations, Monocles, Siskin…) to add {value}.',
  'account.scan.calendar':
    'Scan with your phone to get the calendar address {value}, for DAVx⁵ or your phone’s calendar accounts.',
  'account.scan.label': 'QR code of {value}',
  'account.autoconfig':
    'Thunderbird and most mail programs find these settings by themselves: give them your address and password.',
  'account.passwordEverywhere':
    'A new password works at once for Foyer, mail, chat and calendar. Programs that kept the old one ask for the new one.',
  'account.appPasswords': 'App passwords',
  'account.appPasswords.intro':
    'An app password is a second password for one program, such as Thunderbird on your laptop or the mail app on your phone. Give each program its own: you can revoke it alone if the device is lost.',
  'account.appPasswords.twoFactorOn':
    'Two-step verification is on: mail, chat and calendar programs no longer take your password, only app passwords.',
  'account.appPasswords.twoFactorOff':
    'Programs take your password or an app password. Once you turn two-step verification on, they take only app passwords.',
  'account.appPasswords.none': 'You have no app passwords.',
  'account.appPasswords.made': 'made {when}',
  'account.appPasswords.used': 'last used {when}',
  'account.appPasswords.label': 'What is it for?',
  'account.appPasswords.labelHint': 'Such as “Thunderbird on the laptop”.',
  'account.appPasswords.create': 'Make an app password',
  'account.appPasswords.madeOnce':
    'The app password for “{label}”. Type it into the program now, hyphens included: it is not shown again.',
  'account.appPasswords.revoke': 'Revoke',
  'account.appPasswords.revokeTitle': 'Revoke the app password for “{label}”?',
  'account.appPasswords.revokeBody':
    'The program using it is refused within seconds and asks for a password again.',
  'account.noAccount':
    'You are the local administrator (this server’s own command line): you have no member account.',
} as const;

export type MembersKey = keyof typeof members;
