import pytest


@pytest.fixture
def accountant(make_user):
    from oms.roles import Role

    return make_user(Role.ACCOUNTING)


@pytest.fixture
def no_delivery(monkeypatch):
    """Issue invoices without rendering and e-mailing their PDFs inline (tasks run eagerly in
    tests): for tests about numbers and amounts, where WeasyPrint would only cost time."""
    from billing.services import delivery

    monkeypatch.setattr(delivery, "queue_delivery", lambda *args, **kwargs: True)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test stores its PDFs in its own folder (numbers repeat across rolled-back tests)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
