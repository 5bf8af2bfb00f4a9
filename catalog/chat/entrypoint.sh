#!/bin/sh
# Starts Prosody for Foyer's chat app, as the prosody user. At first start it makes the
# domain's self-signed certificate in the data volume; later starts leave it alone. Accounts
# are Foyer's members, checked against its directory (prosody.cfg.lua).
# Environment: DOMAIN and LDAP_URL, LDAP_BASE, LDAP_BIND_DN, LDAP_BIND_PASSWORD, LDAP_FILTER
# (read by prosody.cfg.lua).
set -eu

DATA=/var/lib/prosody

fail() {
	echo "chat: $*" >&2
	exit 1
}

[ -n "${DOMAIN:-}" ] || fail "DOMAIN is not set"
for name in LDAP_URL LDAP_BASE LDAP_BIND_DN LDAP_BIND_PASSWORD LDAP_FILTER; do
	eval "value=\${$name:-}"
	[ -n "$value" ] || fail "$name is not set"
done
domain=$(printf '%s' "$DOMAIN" | tr 'A-Z' 'a-z')
# Foyer checks the settings; this guards the paths below when the image is run by hand.
printf '%s' "$domain" | grep -Eqx '[a-z0-9.-]+' || fail "DOMAIN is not a domain name: $DOMAIN"

[ -w "$DATA" ] || fail "$DATA is not writable by $(id -un) (uid $(id -u))"
umask 027

# The certificate for STARTTLS: self-signed, for the domain, made once and kept in the volume
# where Prosody's `certificates` folder points. An admin may replace both files with real ones.
certs="$DATA/certs"
if [ ! -s "$certs/$domain.crt" ] || [ ! -s "$certs/$domain.key" ]; then
	mkdir -p "$certs"
	echo "chat: making a self-signed certificate for $domain"
	(
		umask 077
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-days 3650 -subj "/CN=$domain" -addext "subjectAltName=DNS:$domain" \
			-keyout "$certs/$domain.key.new" -out "$certs/$domain.crt.new" 2>/dev/null
	) || fail "openssl could not make a certificate for $domain"
	mv "$certs/$domain.key.new" "$certs/$domain.key"
	mv "$certs/$domain.crt.new" "$certs/$domain.crt"
	chmod 0640 "$certs/$domain.crt"
fi

exec prosody -F
