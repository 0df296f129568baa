"""The scratch database a benchmark works in: ``DATABASE_URL``'s name plus a suffix, created
once and reused, so a bench never touches the database it was pointed at."""

import os
import sys
from urllib.parse import urlparse, urlunparse


def scratch_database_url(suffix: str) -> str:
    """``postgres://.../oms`` -> ``postgres://.../oms<suffix>``; exits when DATABASE_URL is unset."""
    url = urlparse(os.environ.get("DATABASE_URL") or sys.exit(f"set DATABASE_URL (the bench uses <db>{suffix})"))
    return urlunparse(url._replace(path=url.path.rstrip("/") + suffix))


def ensure_database(url: str) -> None:
    """Create the database ``url`` names unless it exists (through the ``postgres`` database)."""
    import psycopg2

    parsed = urlparse(url)
    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parsed.path.lstrip("/")])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{parsed.path.lstrip("/")}"')
    admin.close()
