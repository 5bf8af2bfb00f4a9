#!/bin/sh
# Dovecot's start: the certificate (made once, kept in the tls volume), the passwd-file from the
# install's settings (the password only ever as a hash on disk), then Dovecot in the foreground.
set -eu

domain=$(printf '%s' "${MAIL_DOMAIN:?MAIL_DOMAIN is not set}" | tr 'A-Z' 'a-z')
user=$(printf '%s' "${MAIL_USER:?MAIL_USER is not set}" | tr 'A-Z' 'a-z')
host=$(printf '%s' "${MAIL_HOSTNAME:-mail.$domain}" | tr 'A-Z' 'a-z')
: "${MAIL_PASSWORD:?MAIL_PASSWORD is not set}"

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

# doveadm reads the password twice from standard input, so it never appears in a process list.
hash=$(printf '%s\n%s\n' "$MAIL_PASSWORD" "$MAIL_PASSWORD" | doveadm pw -s SHA512-CRYPT)
unset MAIL_PASSWORD
umask 027
printf '%s@%s:%s:5000:5000::/var/mail/vmail/%s/%s::\n' "$user" "$domain" "$hash" "$domain" "$user" \
  >/etc/dovecot/users.new
chown root:dovecot /etc/dovecot/users.new
mv /etc/dovecot/users.new /etc/dovecot/users
umask 022

mkdir -p /var/mail/vmail
chown vmail:vmail /var/mail/vmail
chmod 0750 /var/mail/vmail

# A restarted container keeps /run: a pid file left from the last run is not a running Dovecot.
rm -f /run/dovecot/master.pid
exec dovecot -F
