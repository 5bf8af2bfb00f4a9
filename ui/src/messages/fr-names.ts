/**
 * Messages en français de l’écran « Noms et HTTPS » : les mêmes clés que
 * ./en-names.ts (le type l’exige). Dans les messages `*Steps`, `|` sépare
 * les étapes d’une liste numérotée.
 */
import type { NamesKey } from './en-names.ts';

export const names: Record<NamesKey, string> = {
  'names.intro':
    'Donnez un nom de domaine à ce serveur : Foyer et chaque application ont alors leur propre adresse en HTTPS, Foyer à {example}, chaque application à son propre nom en dessous. Les mots de passe circulent chiffrés, et les téléphones acceptent agendas et contacts.',
  'names.current': 'Actuellement',
  'names.none':
    'Pas encore de domaine : on joint les applications par l’adresse de ce serveur et un numéro de port, sans HTTPS.',
  'names.currentAt': 'Foyer est à',
  'names.currentPublic': 'avec des certificats d’une autorité de certification publique.',
  'names.currentInternal':
    'avec des certificats de l’autorité de certification de ce serveur (mode maison).',
  'names.refresh': 'Vérifier à nouveau',
  'names.edgeWaiting': 'Foyer démarre la partie qui répond à ces noms…',
  'names.edgeFailed':
    'La partie de Foyer qui répond à ces noms a un problème, donc les noms ne fonctionnent pas encore : {error}',

  'names.form': 'Domaine et certificats',
  'names.mode': 'Où ces noms servent',
  'names.modePublic': 'Sur Internet',
  'names.modePublicHint':
    'Des certificats gratuits de Let’s Encrypt, reconnus par tous les appareils. Il faut un domaine à vous qui pointe vers la connexion Internet de la maison, et les ports 80 et 443 redirigés par votre box ou routeur.',
  'names.modeInternal': 'À la maison seulement',
  'names.modeInternalHint':
    'Ce serveur signe lui-même les certificats. Rien à ouvrir sur votre box, et le domaine n’a pas besoin d’être enregistré ; chaque appareil doit faire confiance une fois au certificat de ce serveur (voir plus bas).',
  'names.domain': 'Domaine',
  'names.domainHint':
    'Par exemple maison.exemple.fr. Foyer sera à ce nom, chaque application à son identifiant devant.',
  'names.domainRequired': 'Saisissez un nom de domaine, par exemple maison.exemple.fr.',
  'names.email': 'Adresse e-mail pour l’autorité de certification',
  'names.emailHint':
    'Facultative. Let’s Encrypt y écrit avant qu’un certificat non renouvelé n’expire.',
  'names.advanced': 'Une autre autorité de certification (avancé)',
  'names.acme': 'URL du répertoire ACME',
  'names.acmeHint':
    'Vide pour Let’s Encrypt. Pour une autorité d’entreprise ou de test, l’adresse de son répertoire.',
  'names.acmeRoot': 'Le certificat racine de l’autorité (fichier PEM)',
  'names.acmeRootHint':
    'Seulement si son répertoire est servi avec un certificat que votre serveur ne reconnaît pas déjà.',
  'names.acmeRootChosen': 'Choisi : {file}',
  'names.acmeRootClear': 'Retirer le fichier',
  'names.apply': 'Appliquer',
  'names.applying': 'Application…',
  'names.applied':
    'Enregistré. Foyer obtient les certificats ; chaque nom ci-dessous montre où il en est.',
  'names.fixErrors': 'Rien n’a été modifié. Vérifiez les champs signalés plus haut.',
  'names.notChanged': 'Rien n’a été modifié : {problems}.',

  'names.list': 'Noms',
  'names.listEmpty': 'Pas encore de noms.',
  'names.colName': 'Nom',
  'names.foyer': 'Foyer',
  'names.certificate': 'Un certificat pour le courriel ou la messagerie',
  'names.autoconfig': 'Réglages du courriel pour Thunderbird',
  'names.validUntil': 'Valide jusqu’au {date}, renouvelé tout seul',
  'names.issuer': 'Signé par {issuer}',
  'names.issuer.local': 'Signé par l’autorité de certification de ce serveur',
  'names.issuer.letsEncrypt': 'Signé par Let’s Encrypt',
  'names.issuer.letsEncryptStaging':
    'Signé par le service de test de Let’s Encrypt (non reconnu par les navigateurs)',
  'names.pending': 'En attente d’un certificat…',
  'names.open': 'Ouvrir {name}',
  'names.problem.dns':
    'Ce nom ne pointe pas encore vers ce serveur. Vérifiez les enregistrements DNS plus bas ; un changement peut mettre jusqu’à une heure à être vu partout.',
  'names.problem.unreachable':
    'L’autorité de certification n’a pas pu joindre ce serveur. Vérifiez que votre box redirige les ports 80 et 443 vers lui.',
  'names.problem.wrongBox':
    'Autre chose a répondu pour ce nom : il pointe peut-être vers une autre machine, ou la box redirige vers une autre.',
  'names.problem.rateLimit':
    'L’autorité de certification demande d’attendre : trop de certificats ont été demandés pour ce domaine. Foyer réessaie plus tard de lui-même.',
  'names.problem.caa':
    'Le DNS du domaine n’autorise que d’autres autorités de certification (un enregistrement CAA). Ajoutez-en un pour cette autorité ou retirez-le.',
  'names.problem.other': 'Pas encore de certificat. Foyer réessaie de lui-même.',
  'names.caSaid': 'L’autorité de certification a répondu : {message}',
  'names.retrying':
    'En attendant, les applications restent joignables comme avant sur le réseau de la maison.',

  'names.dns': 'Enregistrements DNS à créer',
  'names.dnsPublic':
    'Chez la société où vous avez enregistré le domaine (ses réglages DNS), créez ces enregistrements. « Votre adresse » est l’adresse IP publique de la maison : cherchez « quelle est mon IP » depuis chez vous.',
  'names.dnsInternal':
    'Dans les réglages DNS de votre box (souvent appelés DNS local, réécritures DNS ou DNS statique), ou sur votre propre serveur DNS, faites pointer ces noms vers l’adresse de ce serveur sur votre réseau{address}.',
  'names.dnsAddressHere': ', {address}',
  'names.colType': 'Type',
  'names.colPointsTo': 'Pointe vers',
  'names.colPurpose': 'Pour',
  'names.yourAddress': 'votre adresse',
  'names.boxAddress': 'l’adresse de ce serveur',
  'names.mxValue': '{name} (priorité {priority})',
  'names.for.foyer': 'Foyer',
  'names.for.apps': 'toutes les applications, actuelles et futures',
  'names.for.mail': 'le courrier vers vos adresses',
  'names.dnsWildcardNote':
    'Si votre fournisseur DNS n’accepte pas les enregistrements « * » (génériques), créez plutôt un enregistrement A par nom : {names}.',
  'names.dnsIpv6':
    'A est pour une adresse IPv4, AAAA pour IPv6 : ne créez d’enregistrements AAAA que si vous avez l’IPv6.',

  'names.ports': 'Ports à rediriger sur votre box',
  'names.portsIntro':
    'Dans les réglages de votre box ou routeur (redirection de ports, NAT ou serveur virtuel), envoyez ces ports vers ce serveur :',
  'names.portsNone':
    'Rien à rediriger en mode maison : les noms ne servent qu’à l’intérieur de la maison.',
  'names.port80':
    'HTTP : les vérifications de l’autorité de certification, et le renvoi des visiteurs vers HTTPS',
  'names.port443': 'HTTPS : Foyer et les pages des applications',
  'names.portApp': 'utilisé par {name}',
  'names.portTo': 'vers le port {port} de ce serveur',
  'names.portKnown.25': 'le courrier des autres serveurs (SMTP)',
  'names.portKnown.465': 'l’envoi de courrier (SMTPS)',
  'names.portKnown.587': 'l’envoi de courrier (soumission)',
  'names.portKnown.143': 'la lecture du courrier (IMAP)',
  'names.portKnown.993': 'la lecture du courrier (IMAPS)',
  'names.portKnown.5222': 'les applications de messagerie (XMPP)',
  'names.portKnown.5269': 'la messagerie avec d’autres serveurs (XMPP)',

  'names.trust': 'Faire confiance à ce serveur sur vos appareils',
  'names.trustIntro':
    'En mode maison, ce serveur signe ses propres certificats. Chaque téléphone, tablette et ordinateur doit faire confiance une fois à son certificat ; d’ici là, les navigateurs avertissent que la connexion n’est pas privée. Ce certificat permet seulement à ce serveur de se porter garant de ses propres noms.',
  'names.download': 'Télécharger le certificat',
  'names.downloadHint':
    'Un fichier nommé {file}. Envoyez-le sur chaque appareil (par e-mail, message ou câble), ou connectez-vous depuis l’appareil et téléchargez-le sur cette page.',
  'names.android': 'Android',
  'names.androidSteps':
    'Mettez le fichier sur le téléphone : téléchargez-le depuis cette page, ou recevez-le par e-mail ou par câble.|Ouvrez Paramètres › Sécurité (ou Sécurité et confidentialité) › Autres paramètres de sécurité › Chiffrement et identifiants › Installer un certificat › Certificat CA.|Touchez « Installer quand même » et choisissez le fichier. Les menus varient selon les téléphones : si vous ne le trouvez pas, cherchez « certificat CA » dans les Paramètres.|Les navigateurs lui font confiance ; certaines applications ignorent les certificats ajoutés.',
  'names.ios': 'iPhone et iPad',
  'names.iosSteps':
    'Téléchargez le fichier depuis cette page dans Safari, ou recevez-le par AirDrop ou e-mail et ouvrez-le ; touchez Autoriser.|Ouvrez Réglages : touchez « Profil téléchargé » (ou Général › VPN et gestion de l’appareil), puis Installer.|Puis Réglages › Général › Informations › Réglages des certificats : activez la confiance totale pour le certificat de Foyer.',
  'names.windows': 'Windows',
  'names.windowsSteps':
    'Double-cliquez sur le fichier et choisissez « Installer le certificat… ».|Choisissez Ordinateur local, puis « Placer tous les certificats dans le magasin suivant » › Parcourir › Autorités de certification racines de confiance, et Terminer.|Edge et Chrome l’utilisent ; redémarrez-les.',
  'names.macos': 'macOS',
  'names.macosSteps':
    'Double-cliquez sur le fichier : Trousseaux d’accès s’ouvre ; ajoutez-le au trousseau Système.|Double-cliquez sur le certificat dans la liste, ouvrez Se fier et réglez « Lors de l’utilisation de ce certificat » sur Toujours approuver. Fermez la fenêtre et confirmez avec votre mot de passe.|Safari et Chrome l’utilisent.',
  'names.linux': 'Linux (Debian, Ubuntu)',
  'names.linuxSteps':
    'Copiez le fichier dans la liste du système et mettez-la à jour :|Les outils en ligne de commande et la plupart des programmes l’utilisent. Chrome et Chromium ont leur propre liste : Paramètres › Confidentialité et sécurité › Sécurité › Gérer les certificats, puis importez-le comme autorité.',
  'names.firefox': 'Firefox (tous les systèmes)',
  'names.firefoxSteps':
    'Firefox a sa propre liste : Paramètres › Vie privée et sécurité › Certificats › Afficher les certificats… › Autorités › Importer…, choisissez le fichier et cochez « Confirmer cette AC pour identifier des sites web ».|Sous Windows et macOS, Firefox peut plutôt utiliser ce que vous avez ajouté au système : au même endroit, cochez « Autoriser Firefox à faire automatiquement confiance aux certificats racines tiers que vous installez » (security.enterprise_roots.enabled).',
};
