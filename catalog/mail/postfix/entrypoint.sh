#!/bin/sh
# Postfix's start: names from the install's settings, the directory's maps (mailboxes, and which
# member may send as which address) from the bind account Foyer hands over, the chroot synced as
# Debian's init script does, then the master in the foreground as PID 1.
set -eu

domain=$(printf '%s' "${MAIL_DOMAIN:?MAIL_DOMAIN is not set}" | tr 'A-Z' 'a-z')
host=$(printf '%s' "${MAIL_HOSTNAME:-mail.$domain}" | tr 'A-Z' 'a-z')
postmaster=$(printf '%s' "${POSTMASTER:-}" | tr 'A-Z' 'a-z')
: "${LDAP_URL:?LDAP_URL is not set}" "${LDAP_BASE:?LDAP_BASE is not set}"
: "${LDAP_BIND_DN:?LDAP_BIND_DN is not set}" "${LDAP_FILTER:?LDAP_FILTER is not set}"
: "${LDAP_BIND_PASSWORD:?LDAP_BIND_PASSWORD is not set}"

postconf -e "myhostname = $host" "mydomain = $domain"

# One LDAP map: members allowed to use the install (LDAP_FILTER, their memberOf) whose address
# is the one looked up. The bind account reads no password; the file is still Postfix's only.
ldap_map() {
  umask 027
  cat >"/etc/postfix/$1.new" <<CF
server_host = $LDAP_URL
version = 3
bind = yes
bind_dn = $LDAP_BIND_DN
bind_pw = $LDAP_BIND_PASSWORD
search_base = $LDAP_BASE
scope = one
domain = $domain
query_filter = (&(objectClass=inetOrgPerson)(mail=%s)$LDAP_FILTER)
result_attribute = $2
CF
  chown root:postfix "/etc/postfix/$1.new"
  mv "/etc/postfix/$1.new" "/etc/postfix/$1"
  umask 022
}
# A mailbox exists for the address; the value itself is not used.
ldap_map ldap-mailboxes.cf mail
# Who may send as the address: its member, known to Dovecot's SASL by name.
ldap_map ldap-senders.cf uid
unset LDAP_BIND_PASSWORD

: >/etc/postfix/virtual
if [ -n "$postmaster" ]; then
  printf '%s %s\n' "postmaster@$domain" "$postmaster" "abuse@$domain" "$postmaster" \
    "root@$domain" "$postmaster" >/etc/postfix/virtual
fi

# Dovecot makes the certificate; it is healthy before this container starts, but a restart of
# both at once may get here first.
tries=0
until [ -s /etc/foyer-mail/tls/cert.pem ] && [ -s /etc/foyer-mail/tls/key.pem ]; do
  tries=$((tries + 1))
  if [ "$tries" -gt 60 ]; then
    echo "mail: no certificate in /etc/foyer-mail/tls after 60 s" >&2
    exit 1
  fi
  sleep 1
done

sh /usr/local/lib/foyer-mail/certificate.sh postfix

# smtpd and friends run chrooted in the spool: copy resolv.conf, hosts, services… into it.
/usr/lib/postfix/configure-instance.sh -
postfix check
exec postfix start-fg
