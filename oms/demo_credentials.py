"""The demo users' passwords as ``seed_demo_users`` keeps them in var/demo-credentials.json.

``python -m oms.demo_credentials`` prints them without starting Django (bin/run's last lines,
after the server's address)."""

import json
from pathlib import Path

FILE = Path(__file__).resolve().parent.parent / "var" / "demo-credentials.json"
API_CLIENT = "api_client"  # oms.roles.Role.API_CLIENT


def table(rows: list[tuple[str, str, str]]) -> str:
    """``(username, password, API token)`` rows as the lines printed."""
    lines = ["Demo users (username = role):"]
    for username, password, token in rows:
        extra = f"  API token: {token}" if token else ""
        lines.append(f"  {username:<18} {password}{extra}")
    return "\n".join(lines)


def saved_rows(path: Path = FILE) -> list[tuple[str, str, str]]:
    known = json.loads(path.read_text()) if path.exists() else {}
    rows = [(name, password, "") for name, password in known.items() if name != API_CLIENT]
    if known.get(API_CLIENT):
        rows.append(("API client", "(no login)", known[API_CLIENT]))
    return rows


if __name__ == "__main__":
    print(table(saved_rows()))
