#!/bin/sh
# Starts Prosody for Foyer's chat app, as the prosody user. At first start it makes the
# domain's self-signed certificate and the first account in the data volume; later starts
# leave both alone (a password changed from a client stays changed).
# Environment: DOMAIN, ADMIN_USER, ADMIN_PASSWORD, ALLOW_REGISTRATION (read by prosody.cfg.lua).
set -eu

DATA=/var/lib/prosody

fail() {
	echo "chat: $*" >&2
	exit 1
}

[ -n "${DOMAIN:-}" ] || fail "DOMAIN is not set"
[ -n "${ADMIN_USER:-}" ] || fail "ADMIN_USER is not set"
domain=$(printf '%s' "$DOMAIN" | tr 'A-Z' 'a-z')
user=$(printf '%s' "$ADMIN_USER" | tr 'A-Z' 'a-z')
# Foyer checks the settings; this guards the paths below when the image is run by hand.
printf '%s' "$domain" | grep -Eqx '[a-z0-9.-]+' || fail "DOMAIN is not a domain name: $DOMAIN"
printf '%s' "$user" | grep -Eqx '[a-z0-9._-]+' || fail "ADMIN_USER is not a valid user name"

[ -w "$DATA" ] || fail "$DATA is not writable by $(id -un) (uid $(id -u))"
umask 027

# Prosody's file storage names a file by its JID part with every byte outside [A-Za-z0-9]
# written as %xx (util/datamanager.lua); the checks above leave only ".", "-" and "_".
encode() {
	printf '%s' "$1" | sed -e 's/\./%2e/g' -e 's/-/%2d/g' -e 's/_/%5f/g'
}

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

# The first account, only when it does not exist yet. The password goes to prosodyctl on
# its standard input, never on a command line (where `ps` would show it) or into a log.
if [ ! -e "$DATA/$(encode "$domain")/accounts/$(encode "$user").dat" ]; then
	[ -n "${ADMIN_PASSWORD:-}" ] || fail "ADMIN_PASSWORD is not set; it is needed to make $user@$domain"
	echo "chat: making the account $user@$domain"
	if ! out=$(printf '%s\n%s\n' "$ADMIN_PASSWORD" "$ADMIN_PASSWORD" | prosodyctl adduser "$user@$domain" 2>&1); then
		fail "prosodyctl adduser $user@$domain failed: $(printf '%s' "$out" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 3)"
	fi
fi

# The server needs no password; keep it out of its environment.
unset ADMIN_PASSWORD
exec prosody -F
