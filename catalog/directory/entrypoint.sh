#!/bin/sh
# Foyer's directory: on a fresh data volume, writes cn=config (mdb for dc=foyer, memberOf and
# refint, no anonymous bind) and the admin's {CRYPT} secret; then runs slapd in the foreground
# on the ldapi socket Foyer reaches and on port 389 of the internal network. The tree itself is
# filled by Foyer's directory sync, which refills it whenever it finds it empty.
# The database is written without an fsync per change (olcDbNoSync, flushed every minute):
# it is a projection of Foyer's store, so writes a crash loses are made again by the next
# sync, and an fsync for each entry and each memberOf update made an import of 500 members
# take 10 s instead of ~2. A database that will not open can be deleted: it is refilled.
set -eu
DATA=/var/lib/foyer-ldap
CONF="$DATA/slapd.d"
if [ -z "${ADMIN_PASSWORD:-}" ]; then echo "directory: ADMIN_PASSWORD is not set" >&2; exit 1; fi
# The admin secret as a SHA-512 crypt hash; slappasswd reads it from a file, not its arguments.
umask 077
printf '%s' "$ADMIN_PASSWORD" > /tmp/admin-secret
ROOTPW=$(slappasswd -h '{CRYPT}' -c '$6$%.16s' -T /tmp/admin-secret)
rm -f /tmp/admin-secret
unset ADMIN_PASSWORD
if [ ! -d "$CONF/cn=config" ]; then
  rm -rf "$CONF" "$DATA/db"
  mkdir -p "$CONF" "$DATA/db"
  cat > /tmp/config.ldif <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: /tmp/slapd.pid
olcDisallows: bind_anon
olcLogLevel: none

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: refint

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/nis.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcRequires: authc

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: dc=foyer
olcRootDN: cn=admin,dc=foyer
olcRootPW: $ROOTPW
olcDbDirectory: $DATA/db
olcDbMaxSize: 104857600
olcDbNoSync: TRUE
olcDbCheckpoint: 512 1
olcDbIndex: objectClass eq
olcDbIndex: uid,mail,cn eq
olcDbIndex: member,memberOf eq
olcRequires: authc
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to dn.subtree="dc=foyer" by dn.regex="^cn=[a-z0-9-]+,ou=apps,dc=foyer\$" read by self read by anonymous auth by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfDangling: ignore
olcMemberOfRefInt: TRUE
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf

dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {1}refint
olcRefintAttribute: memberOf member
LDIF
  slapadd -n 0 -F "$CONF" -l /tmp/config.ldif
  rm -f /tmp/config.ldif
else
  # The secret may have changed (a restored install): set it again, offline, in cn=config.
  sed -i -e '/^# CRC32/d' -e "s|^olcRootPW:.*|olcRootPW: $ROOTPW|" "$CONF/cn=config/olcDatabase={1}mdb.ldif"
fi
rm -f /run/slapd/ldapi
exec slapd -F "$CONF" -h "ldap:/// ldapi://%2Frun%2Fslapd%2Fldapi" -d 0
