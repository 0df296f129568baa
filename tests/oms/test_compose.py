"""docker-compose.yml: the app reaches PostgreSQL through PgBouncer in transaction-pooling mode."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())


def test_web_worker_and_beat_go_through_pgbouncer_in_transaction_pooling_mode():
    services = COMPOSE["services"]
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://oms:oms@pgbouncer:6432/"), name
        assert env["DATABASE_TRANSACTION_POOLING"] == "1", name
    # migrations (DDL, long statements) connect to the server itself
    assert services["migrate"]["environment"]["DATABASE_URL"].startswith("postgres://oms:oms@db:5432/")
