#!/bin/sh
# Postfix's start: names and maps from the install's settings, the chroot synced as Debian's
# init script does, then the master in the foreground as PID 1.
set -eu

domain=$(printf '%s' "${MAIL_DOMAIN:?MAIL_DOMAIN is not set}" | tr 'A-Z' 'a-z')
user=$(printf '%s' "${MAIL_USER:?MAIL_USER is not set}" | tr 'A-Z' 'a-z')
host=$(printf '%s' "${MAIL_HOSTNAME:-mail.$domain}" | tr 'A-Z' 'a-z')
address="$user@$domain"

postconf -e "myhostname = $host" "mydomain = $domain"
printf '%s OK\n' "$address" >/etc/postfix/vmailbox
printf '%s %s\n' "postmaster@$domain" "$address" "abuse@$domain" "$address" \
  "root@$domain" "$address" >/etc/postfix/virtual
printf '%s %s\n' "$address" "$address" >/etc/postfix/senders

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
