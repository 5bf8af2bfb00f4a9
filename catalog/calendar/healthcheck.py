"""Health check: Radicale answers HTTP on its port (its web page, which needs no login)."""

import sys
import urllib.request

try:
    with urllib.request.urlopen("http://127.0.0.1:5232/.web/", timeout=5) as reply:
        sys.exit(0 if reply.status == 200 else 1)
except Exception as error:  # noqa: BLE001 - any failure means unhealthy
    print(f"calendar: {error}", file=sys.stderr)
    sys.exit(1)
