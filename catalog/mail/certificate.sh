#!/bin/sh
# Points Postfix or Dovecot at the certificate Foyer hands over from its edge (issue 13,
# /etc/foyer/tls, read-only) when there is one, else at the self-signed one in
# /etc/foyer-mail/tls. With `reload`, the running daemon loads it: Foyer runs
# `certificate.sh <daemon> reload` in the container when the edge's certificate renews.
# Usage: certificate.sh postfix|dovecot [reload]
set -eu

handed=/etc/foyer/tls
own=/etc/foyer-mail/tls
if [ -s "$handed/fullchain.pem" ] && [ -s "$handed/privkey.pem" ]; then
  cert="$handed/fullchain.pem" key="$handed/privkey.pem"
else
  cert="$own/cert.pem" key="$own/key.pem"
fi

case "${1:-}" in
postfix)
  # One setting names key and chain together (Postfix >= 3.4).
  postconf -e "smtpd_tls_chain_files = $key, $cert"
  if [ "${2:-}" = reload ]; then postfix reload; fi
  ;;
dovecot)
  printf 'ssl_cert = <%s\nssl_key = <%s\n' "$cert" "$key" >/etc/dovecot/foyer-tls.conf.new
  mv /etc/dovecot/foyer-tls.conf.new /etc/dovecot/foyer-tls.conf
  if [ "${2:-}" = reload ]; then doveadm reload; fi
  ;;
*)
  echo "usage: certificate.sh postfix|dovecot [reload]" >&2
  exit 2
  ;;
esac
echo "mail: $1 uses $cert"
