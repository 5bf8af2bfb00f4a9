#!/bin/sh
# Dovecot's start: the certificate (made once, kept in the tls volume), the directory's LDAP
# files from the bind account Foyer hands over, then Dovecot in the foreground.
set -eu

domain=$(printf '%s' "${MAIL_DOMAIN:?MAIL_DOMAIN is not set}" | tr 'A-Z' 'a-z')
host=$(printf '%s' "${MAIL_HOSTNAME:-mail.$domain}" | tr 'A-Z' 'a-z')
: "${LDAP_URL:?LDAP_URL is not set}" "${LDAP_BASE:?LDAP_BASE is not set}"
: "${LDAP_BIND_DN:?LDAP_BIND_DN is not set}" "${LDAP_FILTER:?LDAP_FILTER is not set}"
: "${LDAP_BIND_PASSWORD:?LDAP_BIND_PASSWORD is not set}"

# A self-signed certificate, served until Foyer hands over the edge's (certificate.sh); made again when the host name
# changes. A certificate someone put there without the marker is left alone.
tls=/etc/foyer-mail/tls
mkdir -p "$tls"
chmod 0755 "$tls"
if [ ! -s "$tls/cert.pem" ] || { [ -f "$tls/self-signed" ] && [ "$(cat "$tls/self-signed")" != "$host" ]; }; then
  echo "mail: making a self-signed certificate for $host"
  openssl req -x509 -newkey rsa:2048 -sha256 -days 3650 -nodes -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:$domain" \
    -keyout "$tls/key.pem.new" -out "$tls/cert.pem.new" 2>/dev/null
  chmod 0600 "$tls/key.pem.new"
  chmod 0644 "$tls/cert.pem.new"
  # The key first: a crash in between leaves a pair Postfix and Dovecot refuse, never a mismatch
  # that looks valid.
  mv "$tls/key.pem.new" "$tls/key.pem"
  mv "$tls/cert.pem.new" "$tls/cert.pem"
  printf '%s\n' "$host" >"$tls/self-signed"
fi

sh /usr/local/lib/foyer-mail/certificate.sh dovecot

# The directory (Foyer's LDAP), with the install's read-only bind account. Searches match the
# members allowed to use the install (LDAP_FILTER, their memberOf) by name or address; the
# password check binds as the member found. Dovecot escapes %u for the filters itself.
ldap_conf() {
  umask 027
  cat >"/etc/dovecot/$1.new"
  chown root:dovecot "/etc/dovecot/$1.new"
  mv "/etc/dovecot/$1.new" "/etc/dovecot/$1"
  umask 022
}
member="(&(objectClass=inetOrgPerson)(|(uid=%u)(mail=%u))$LDAP_FILTER)"
ldap_conf ldap-passdb.conf.ext <<CONF
uris = $LDAP_URL
dn = $LDAP_BIND_DN
dnpass = $LDAP_BIND_PASSWORD
ldap_version = 3
base = $LDAP_BASE
scope = onelevel
auth_bind = yes
pass_filter = $member
pass_attrs = uid=user
CONF
ldap_conf ldap-userdb.conf.ext <<CONF
uris = $LDAP_URL
dn = $LDAP_BIND_DN
dnpass = $LDAP_BIND_PASSWORD
ldap_version = 3
base = $LDAP_BASE
scope = onelevel
user_filter = $member
user_attrs = uid=user, =home=/var/mail/vmail/members/%{ldap:uid}, =uid=5000, =gid=5000
iterate_filter = (&(objectClass=inetOrgPerson)$LDAP_FILTER)
iterate_attrs = uid=user
CONF
unset LDAP_BIND_PASSWORD

mkdir -p /var/mail/vmail/members
chown vmail:vmail /var/mail/vmail /var/mail/vmail/members
chmod 0750 /var/mail/vmail /var/mail/vmail/members

# A restarted container keeps /run: a pid file left from the last run is not a running Dovecot.
rm -f /run/dovecot/master.pid
exec dovecot -F
