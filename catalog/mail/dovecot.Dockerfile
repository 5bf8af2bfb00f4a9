# Dovecot from Debian 12: IMAP (143 with STARTTLS, 993 with TLS) for mail clients, and on the
# project network LMTP delivery (24) and SASL authentication (12345) for Postfix. Passwords are
# checked by binding to Foyer's directory as the member (dovecot-ldap).
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# ssl-cert makes a "snakeoil" key pair when it is installed; no private key may ship in an
# image, so it goes, with its hash link. The certificate is made at first start instead.
RUN apt-get update \
 && apt-get upgrade -y \
 && apt-get install -y --no-install-recommends dovecot-imapd dovecot-lmtpd dovecot-ldap openssl \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem \
    /etc/dovecot/private/dovecot.key /etc/dovecot/private/dovecot.pem \
 && find /etc/ssl/certs -xtype l -delete \
 && groupadd --system --gid 5000 vmail \
 && useradd --system --uid 5000 --gid vmail --home-dir /var/mail/vmail --shell /usr/sbin/nologin vmail
COPY dovecot/dovecot.conf /etc/dovecot/dovecot.conf
COPY dovecot/entrypoint.sh /usr/local/lib/foyer-mail/entrypoint.sh
COPY certificate.sh /usr/local/lib/foyer-mail/certificate.sh
# The master process starts as root to bind 143/993 and read the key, then runs logins as
# dovenull, authentication as dovecot and mail access as vmail.
ENTRYPOINT ["/bin/sh", "/usr/local/lib/foyer-mail/entrypoint.sh"]
