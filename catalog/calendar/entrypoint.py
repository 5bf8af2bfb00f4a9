"""Writes Radicale's accounts file from the install's settings, then runs Radicale.

The password arrives in CALENDAR_PASSWORD and leaves the environment before Radicale starts;
only its bcrypt hash is written, to a file outside the data volume that only this user reads.
"""

import os
import re
import sys

from passlib.hash import bcrypt

USERS_FILE = "/run/radicale/users"
# The same shape as the USERNAME setting in app.yaml; ":" or a newline would corrupt the file.
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
# 2^10 rounds: Radicale checks the hash on every request, and a phone syncing a few calendars
# makes dozens of them; the file never leaves the container.
ROUNDS = 10


def fail(message: str) -> None:
    print(f"calendar: {message}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    user = os.environ.pop("CALENDAR_USER", "")
    password = os.environ.pop("CALENDAR_PASSWORD", "")
    if not USERNAME.fullmatch(user):
        fail("CALENDAR_USER must be 1 to 32 of a-z, 0-9, '.', '_', '-'")
    if len(password) < 12:
        fail("CALENDAR_PASSWORD must be at least 12 characters long")
    partial = f"{USERS_FILE}.{os.getpid()}"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(f"{user}:{bcrypt.using(rounds=ROUNDS).hash(password)}\n")
    os.replace(partial, USERS_FILE)
    args = ["radicale", "--config", "/etc/radicale/config", *sys.argv[1:]]
    os.execvpe(args[0], args, os.environ)


main()
