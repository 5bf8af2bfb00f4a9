"""Radicale's logins checked against Foyer's directory (app.yaml `accounts: directory`).

Radicale 3.1.8 (Debian 12) has no LDAP authentication of its own, so this plugin, named by
`[auth] type = foyer_ldap_auth` in the config, does it with python3-ldap3: the install's
read-only bind account finds the member allowed to use the install (LDAP_FILTER, their
memberOf) by name, then a bind as that member checks the password. Each request binds afresh
and nothing is cached, so a member disabled, removed or given a new password in Foyer is
refused at their next request. The user Radicale serves is the member's name, so with
`rights = owner_only` each member reaches only /<name>/.

Environment (from Foyer): LDAP_URL, LDAP_BASE, LDAP_BIND_DN, LDAP_BIND_PASSWORD, LDAP_FILTER.
"""

import os

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from radicale import auth
from radicale.log import logger

TIMEOUT = 5


class Auth(auth.BaseAuth):
    def __init__(self, configuration):
        super().__init__(configuration)
        self._url = os.environ["LDAP_URL"]
        self._base = os.environ["LDAP_BASE"]
        self._bind_dn = os.environ["LDAP_BIND_DN"]
        self._bind_password = os.environ["LDAP_BIND_PASSWORD"]
        self._filter = os.environ["LDAP_FILTER"]

    def _server(self):
        return ldap3.Server(self._url, connect_timeout=TIMEOUT, get_info=ldap3.NONE)

    def _find(self, name):
        """The DN and name of the member allowed to use the install, or None."""
        query = f"(&(objectClass=inetOrgPerson)(uid={escape_filter_chars(name)}){self._filter})"
        with ldap3.Connection(
            self._server(),
            self._bind_dn,
            self._bind_password,
            auto_bind=True,
            receive_timeout=TIMEOUT,
            read_only=True,
        ) as conn:
            conn.search(self._base, query, search_scope=ldap3.LEVEL, attributes=["uid"], size_limit=2)
            if len(conn.entries) != 1:
                return None
            entry = conn.entries[0]
            return entry.entry_dn, str(entry.uid.value)

    def login(self, login, password):
        # An empty password would be an unauthenticated bind, which proves nothing.
        if not login or not password:
            return ""
        try:
            found = self._find(login)
            if found is None:
                return ""
            dn, name = found
            conn = ldap3.Connection(self._server(), dn, password, receive_timeout=TIMEOUT)
            try:
                return name if conn.bind() else ""
            finally:
                conn.unbind()
        except LDAPException as error:
            logger.warning("calendar: the directory did not answer: %s", type(error).__name__)
            return ""
