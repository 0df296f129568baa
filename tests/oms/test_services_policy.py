"""Missing services: skip with the reason locally, fail under OMS_REQUIRE_SERVICES=1 (CI)."""

import pytest
from _pytest.outcomes import Failed, Skipped

from tests.support.services import require


def test_missing_service_skips_with_reason(monkeypatch):
    monkeypatch.delenv("OMS_REQUIRE_SERVICES", raising=False)
    with pytest.raises(Skipped, match="Redis not reachable"):
        require("Redis not reachable at 127.0.0.1:6379")


def test_missing_service_fails_when_services_are_required(monkeypatch):
    monkeypatch.setenv("OMS_REQUIRE_SERVICES", "1")
    with pytest.raises(Failed, match="required service missing: Chromium not installed"):
        require("Chromium not installed")


def test_present_service_does_nothing(monkeypatch):
    monkeypatch.setenv("OMS_REQUIRE_SERVICES", "1")
    require(None)
