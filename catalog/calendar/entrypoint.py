"""Checks the directory settings Foyer hands over, then runs Radicale.

Accounts are Foyer's members (foyer_ldap_auth.py reads LDAP_* from the environment); nothing
about them is written here.
"""

import os
import sys

NEEDED = ("LDAP_URL", "LDAP_BASE", "LDAP_BIND_DN", "LDAP_BIND_PASSWORD", "LDAP_FILTER")


def main() -> None:
    missing = [name for name in NEEDED if not os.environ.get(name)]
    if missing:
        print(f"calendar: {', '.join(missing)} not set", file=sys.stderr)
        sys.exit(1)
    args = ["radicale", "--config", "/etc/radicale/config", *sys.argv[1:]]
    os.execvpe(args[0], args, os.environ)


main()
