/** Messages en français des écrans Membres et Mon compte : les mêmes clés que ./en-members.ts. */
import type { MembersKey } from './en-members.ts';

export const members: Record<MembersKey, string> = {
  'members.title': 'Membres',
  'members.intro':
    'Chaque membre a un seul nom et un seul mot de passe pour Foyer, le courriel, la messagerie et l’agenda. Les groupes décident des applications qu’un membre peut utiliser.',
  'members.loadFailed': 'Impossible de lire les membres : {reason}',
  'members.list': 'Tout le monde',
  'members.none': 'Aucun membre pour l’instant.',
  'members.name': 'Nom',
  'members.displayName': 'Nom affiché',
  'members.email': 'Adresse électronique',
  'members.state': 'État',
  'members.groups': 'Groupes',
  'members.role': 'Rôle',
  'members.actions': 'Actions',
  'members.noGroups': 'aucun',
  'members.state.active': 'Actif',
  'members.state.disabled': 'Désactivé',
  'members.noPassword': 'n’a pas encore choisi de mot de passe',
  'members.you': '(vous)',

  'members.add': 'Ajouter un membre',
  'members.nameHint':
    'Son identifiant et le début de ses adresses : lettres minuscules, chiffres, « . », « _ » et « - ».',
  'members.emailHint': 'Où le joindre, par exemple alice@example.org.',
  'members.displayNameHint': 'Comment les autres le voient, par exemple Alice Martin. Facultatif.',
  'members.groupsNone': 'Aucun groupe pour l’instant : ajoutez-en un dans Groupes plus bas.',
  'members.passwordChoice': 'Son mot de passe',
  'members.passwordLink':
    'Il le choisit avec un lien à usage unique (vous lui transmettez le lien)',
  'members.passwordTyped': 'Je le saisis maintenant et le lui donne',
  'members.password': 'Mot de passe',
  'members.passwordHint': 'Au moins 10 caractères.',
  'members.addButton': 'Ajouter le membre',
  'members.added': '{name} a été ajouté.',
  'members.linkIntro':
    'Envoyez ce lien à {name} : il y choisira son mot de passe. Il ne sert qu’une fois, pendant 7 jours.',
  'members.linkLabel': 'Lien de choix du mot de passe pour {name}',
  'members.copy': 'Copier',
  'members.copied': 'Copié.',

  'members.edit': 'Modifier',
  'members.editTitle': 'Modifier {name}',
  'members.save': 'Enregistrer',
  'members.saved': '{name} a été enregistré.',
  'members.disable': 'Désactiver',
  'members.enable': 'Réactiver',
  'members.disabled': '{name} est désactivé : tous les services le refusent désormais.',
  'members.enabled': '{name} est de nouveau actif.',
  'members.resetLink': 'Nouveau lien de mot de passe',
  'members.remove': 'Retirer',
  'members.removeTitle': 'Retirer {name} ?',
  'members.removeBody':
    '{name} ne pourra plus se connecter à Foyer, au courriel, à la messagerie ni à l’agenda, et quitte tous ses groupes.',
  'members.removeData': 'Son courriel, sa messagerie et ses agendas',
  'members.removeKeep': 'Les garder',
  'members.removeKeepHint':
    'Ils restent dans les données des applications, où un administrateur peut encore y accéder.',
  'members.removeDelete': 'Les supprimer',
  'members.removeDeleteHint':
    'Sa boîte aux lettres, ses contacts et messages de discussion, ses agendas et ses carnets d’adresses sont supprimés de toutes les applications. C’est définitif.',
  'members.removed': '{name} a été retiré.',
  'members.removedDeleted': '{name} a été retiré, avec son courriel, sa messagerie et ses agendas.',
  'members.removedNotDeleted':
    '{name} a été retiré, mais ceci n’a pas encore été supprimé : {places}. Foyer réessaie (voir « Données encore à supprimer »).',
  'pending.title': 'Données encore à supprimer',
  'pending.intro':
    'Les données de ces membres retirés n’ont pas encore pu être supprimées. Foyer réessaie de lui-même toutes les quelques minutes, sans jamais abandonner ; leurs noms ne peuvent pas être donnés à de nouveaux membres avant la fin.',
  'pending.place': '{member} : {install}, {path}',
  'pending.error': 'essais : {attempts} ; dernière erreur : {error}',
  'pending.notTried': 'pas encore essayé',
  'pending.retry': 'Réessayer maintenant',
  'pending.retrying': 'Nouvel essai…',
  'pending.done': 'Toutes les données des membres retirés sont supprimées.',
  'pending.stillWaiting': '{count} emplacements attendent encore.',

  'groups.title': 'Groupes',
  'groups.intro':
    'Rangez les membres dans des groupes, puis autorisez des groupes à utiliser des applications.',
  'groups.none': 'Aucun groupe pour l’instant.',
  'groups.members': 'Membres',
  'groups.apps': 'Applications',
  'groups.empty': 'personne',
  'groups.noApps': 'aucune application',
  'groups.name': 'Nom du nouveau groupe',
  'groups.nameHint': 'Par exemple famille : lettres minuscules, chiffres, « . », « _ » et « - ».',
  'groups.add': 'Ajouter le groupe',
  'groups.added': 'Le groupe {name} a été ajouté.',

  'access.title': 'Qui peut utiliser quelle application',
  'access.intro': 'Cochez les groupes dont les membres peuvent se connecter à chaque application.',
  'access.noApps': 'Aucune application installée pour l’instant.',
  'access.noGroups': 'Ajoutez d’abord un groupe.',
  'access.app': 'Groupes pouvant utiliser {app}',
  'access.granted': '{group} peut désormais utiliser {app}.',
  'access.revoked': '{group} ne peut plus utiliser {app}.',

  'import.title': 'Ajouter plusieurs membres depuis un fichier',
  'import.intro':
    'Un fichier CSV (un tableur enregistré en CSV) avec un membre par ligne. Sa première ligne nomme les colonnes : name, email, display_name, groups (groupes séparés par « ; »). Soit toutes les lignes sont ajoutées, soit aucune.',
  'import.example': 'Par exemple :',
  'import.file': 'Le fichier CSV',
  'import.button': 'Ajouter les membres du fichier',
  'import.refused': 'Rien n’a été ajouté. Corrigez ces lignes puis réessayez :',
  'import.done': '{count} membres ont été ajoutés. Envoyez à chacun son lien :',

  'account.title': 'Mon compte',
  'account.intro':
    'Votre nom et votre mot de passe servent pour Foyer et pour chaque service ci-dessous.',
  'account.me': 'Vous',
  'account.services': 'Vos services',
  'account.servicesIntro':
    'Saisissez ces réglages dans le logiciel de votre téléphone ou de votre ordinateur.',
  'account.noServices':
    'Aucun service pour l’instant. Demandez à un administrateur de vous mettre dans un groupe autorisé au courriel, à la messagerie ou à l’agenda.',
  'account.kind.mail': 'Courriel',
  'account.kind.chat': 'Messagerie',
  'account.kind.calendar': 'Agenda et contacts',
  'account.kind.other': 'Application',
  'account.field.username': 'Nom d’utilisateur',
  'account.field.address': 'Votre adresse',
  'account.field.server': 'Serveur',
  'account.field.imaps': 'Port du courrier entrant (IMAP, SSL/TLS)',
  'account.field.imap': 'Port du courrier entrant (IMAP, STARTTLS)',
  'account.field.submission': 'Port du courrier sortant (SMTP, STARTTLS)',
  'account.field.xmpp': 'Adresse de messagerie (XMPP)',
  'account.field.xmppPort': 'Port',
  'account.field.caldav': 'Adresse de l’agenda (CalDAV)',
  'account.scan.chat':
    'Scannez avec l’application de messagerie de votre téléphone (Conversations, Monocles, Siskin…) pour ajouter {value}.',
  'account.scan.calendar':
    'Scannez avec votre téléphone pour obtenir l’adresse de l’agenda {value}, pour DAVx⁵ ou les comptes d’agenda du téléphone.',
  'account.scan.label': 'Code QR de {value}',
  'account.autoconfig':
    'Thunderbird et la plupart des logiciels de courriel trouvent ces réglages tout seuls : donnez-leur votre adresse et votre mot de passe.',
  'account.passwordEverywhere':
    'Un nouveau mot de passe vaut aussitôt pour Foyer, le courriel, la messagerie et l’agenda. Les logiciels qui gardaient l’ancien demanderont le nouveau.',
  'account.appPasswords': 'Mots de passe d’application',
  'account.appPasswords.intro':
    'Un mot de passe d’application est un second mot de passe pour un seul logiciel, comme Thunderbird sur votre portable ou l’application de courriel de votre téléphone. Donnez-en un à chaque logiciel : vous pourrez le révoquer seul si l’appareil est perdu.',
  'account.appPasswords.twoFactorOn':
    'La validation en deux étapes est activée : les logiciels de courriel, de messagerie et d’agenda n’acceptent plus votre mot de passe, seulement des mots de passe d’application.',
  'account.appPasswords.twoFactorOff':
    'Les logiciels acceptent votre mot de passe ou un mot de passe d’application. Une fois la validation en deux étapes activée, ils n’acceptent plus que les mots de passe d’application.',
  'account.appPasswords.none': 'Vous n’avez aucun mot de passe d’application.',
  'account.appPasswords.made': 'créé le {when}',
  'account.appPasswords.used': 'utilisé pour la dernière fois {when}',
  'account.appPasswords.label': 'Pour quoi ?',
  'account.appPasswords.labelHint': 'Par exemple « Thunderbird sur le portable ».',
  'account.appPasswords.create': 'Créer un mot de passe d’application',
  'account.appPasswords.madeOnce':
    'Le mot de passe d’application pour « {label} ». Saisissez-le dans le logiciel maintenant, tirets compris : il ne sera plus affiché.',
  'account.appPasswords.revoke': 'Révoquer',
  'account.appPasswords.revokeTitle': 'Révoquer le mot de passe d’application pour « {label} » ?',
  'account.appPasswords.revokeBody':
    'Le logiciel qui l’utilise est refusé en quelques secondes et redemande un mot de passe.',
  'account.noAccount':
    'Vous êtes l’administrateur local (la ligne de commande de ce serveur) : vous n’avez pas de compte de membre.',
};
