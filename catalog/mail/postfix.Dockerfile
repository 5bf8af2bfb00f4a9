# Postfix from Debian 12: SMTP (25) receiving mail for the domain, authenticated submission
# (587, STARTTLS before AUTH), delivery to Dovecot over LMTP. Mailboxes and who may send as
# which address are looked up in Foyer's directory (postfix-ldap).
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# "No configuration": the package leaves main.cf to us. ssl-cert's snakeoil key pair is removed
# (no private key may ship in an image); the certificate comes from Dovecot's volume.
RUN echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections \
 && apt-get update \
 && apt-get upgrade -y \
 && apt-get install -y --no-install-recommends postfix postfix-ldap ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem \
 && find /etc/ssl/certs -xtype l -delete
COPY postfix/main.cf /etc/postfix/main.cf
# Submission: TLS before anything else, then SASL from Dovecot; only logged-in people may send,
# and only as their own address.
RUN postconf -M 'submission/inet=submission inet n - y - - smtpd' \
 && postconf -P \
    'submission/inet/syslog_name=postfix/submission' \
    'submission/inet/smtpd_tls_security_level=encrypt' \
    'submission/inet/smtpd_tls_auth_only=yes' \
    'submission/inet/smtpd_sasl_auth_enable=yes' \
    'submission/inet/smtpd_client_restrictions=permit_sasl_authenticated,reject' \
    'submission/inet/smtpd_sender_restrictions=reject_sender_login_mismatch' \
    'submission/inet/smtpd_relay_restrictions=permit_sasl_authenticated,reject' \
    'submission/inet/smtpd_recipient_restrictions=permit_sasl_authenticated,reject' \
    'submission/inet/milter_macro_daemon_name=ORIGINATING'
COPY postfix/entrypoint.sh /usr/local/lib/foyer-mail/entrypoint.sh
COPY certificate.sh /usr/local/lib/foyer-mail/certificate.sh
# master starts as root to bind 25/587 and read the key; smtpd, qmgr and the rest run as the
# postfix user, chrooted in the spool.
ENTRYPOINT ["/bin/sh", "/usr/local/lib/foyer-mail/entrypoint.sh"]
