"""The exception inbox: a refresh opens one item per breaking subject, touches it while the rule
still fires and closes it by itself when the cause is gone; resolve and retry record who and
when; a resolved subject stays closed while its cause is unchanged; the page lists, filters and
acts per role."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from oms import events, exceptions
from oms.errors import Conflict
from oms.models import ExceptionItem, OutboxEvent, OutboxStatus
from oms.roles import Role
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db

FOUND: list[exceptions.Finding] = []
RETRIED: list[tuple[str, str]] = []


def _retry(subject, user):
    RETRIED.append((subject, user.username))
    return "again"


@pytest.fixture
def rule(monkeypatch):
    """Only a scratch rule of the warehouse that reports what the test puts in ``FOUND``."""
    FOUND.clear()
    RETRIED.clear()
    scratch = exceptions.Rule(code="test.scratch", label="Scratch", role=Role.WAREHOUSE, find=lambda: list(FOUND),
                              retry=_retry)  # fmt: skip
    monkeypatch.setattr(exceptions, "RULES", {scratch.code: scratch})
    return scratch


def found(*subjects, occurrence=""):
    FOUND[:] = [
        exceptions.Finding(subject=s, title=f"{s} is broken", url="/x/", occurrence=occurrence) for s in subjects
    ]


def open_subjects():
    return sorted(ExceptionItem.objects.filter(closed_at__isnull=True).values_list("subject", flat=True))


def test_refresh_opens_touches_and_closes_items_by_itself(rule):
    found("order:1", "order:2")
    assert exceptions.refresh_exceptions().opened == 2
    first_seen = ExceptionItem.objects.get(subject="order:1").last_seen_at
    # the next refresh finds order:1 still broken, order:2 fixed
    found("order:1")
    result = exceptions.refresh_exceptions()
    assert (result.opened, result.touched, result.closed) == (0, 1, 1)
    assert open_subjects() == ["order:1"]
    assert ExceptionItem.objects.get(subject="order:1").last_seen_at > first_seen
    cleared = ExceptionItem.objects.get(subject="order:2")
    assert cleared.close_reason == "cleared" and cleared.closed_by is None and cleared.closed_at is not None
    # broken again later: a new item, the old one stays in the history
    found("order:1", "order:2")
    assert exceptions.refresh_exceptions().opened == 1
    assert ExceptionItem.objects.filter(subject="order:2").count() == 2


def test_a_rule_cut_at_the_limit_closes_nothing(rule, settings):
    found("a:1", "a:2")
    exceptions.refresh_exceptions()
    settings.OMS_EXCEPTION_RULE_LIMIT = 1
    found("a:1")  # only the first page of a longer list
    assert exceptions.refresh_exceptions().closed == 0 and open_subjects() == ["a:1", "a:2"]


def test_a_failing_rule_leaves_its_items_alone(rule, monkeypatch):
    found("a:1")
    exceptions.refresh_exceptions()
    broken = exceptions.Rule(code="test.scratch", label="Scratch", role=Role.WAREHOUSE, find=lambda: 1 / 0)
    monkeypatch.setattr(exceptions, "RULES", {broken.code: broken})
    assert exceptions.refresh_exceptions().failed_rules == ["test.scratch"]
    assert open_subjects() == ["a:1"]


def test_resolve_records_who_and_when_and_keeps_the_subject_closed_while_unchanged(rule, make_user, settings):
    user = make_user(Role.WAREHOUSE, username="wendy")
    found("shipment:7", occurrence="first failure")
    exceptions.refresh_exceptions()
    item = ExceptionItem.objects.get()
    before = timezone.now()
    exceptions.exception_resolve(item_id=item.pk, user=user, note="  called the carrier ")
    item.refresh_from_db()
    assert item.close_reason == "resolved" and item.closed_by == user and item.closed_at >= before
    assert item.note == "called the carrier"
    with pytest.raises(Conflict):
        exceptions.exception_resolve(item_id=item.pk, user=user)
    # the rule still fires for the same cause: it stays closed
    assert exceptions.refresh_exceptions().opened == 0 and open_subjects() == []
    # a new occurrence of the cause reopens it at once
    found("shipment:7", occurrence="second failure")
    assert exceptions.refresh_exceptions().opened == 1
    # and after the snooze the same cause reopens too
    exceptions.exception_resolve(item_id=ExceptionItem.objects.get(closed_at=None).pk, user=user)
    assert exceptions.refresh_exceptions().opened == 0
    ExceptionItem.objects.update(
        closed_at=timezone.now() - timedelta(hours=settings.OMS_EXCEPTION_RESOLVE_SNOOZE_HOURS + 1)
    )
    assert exceptions.refresh_exceptions().opened == 1


def test_retry_runs_the_rules_retry_and_closes_the_item_as_retried(rule, make_user):
    user = make_user(Role.WAREHOUSE, username="wim")
    found("shipment:9")
    exceptions.refresh_exceptions()
    item = exceptions.exception_retry(item_id=ExceptionItem.objects.get().pk, user=user)
    assert RETRIED == [("shipment:9", "wim")]
    assert (item.close_reason, item.closed_by, item.note) == ("retried", user, "again")


def test_dead_event_fires_and_retry_gets_it_handled(make_user, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setitem(events.HANDLERS, "test.flaky", ["tests.oms.test_exceptions.flaky_handler"])
    monkeypatch.setattr(exceptions, "RULES", {})
    exceptions.register_builtin_rules()
    HANDLED.clear()
    event = OutboxEvent.objects.create(name="test.flaky", payload={}, status=OutboxStatus.DEAD, attempts=5,
                                       last_error="boom")  # fmt: skip
    exceptions.refresh_exceptions()
    item = ExceptionItem.objects.get(rule="oms.dead_event")
    assert item.subject == f"event:{event.pk}" and item.role == Role.MANAGER and "boom" in item.detail["error"]
    manager = make_user(Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):  # the hand-off to the (eager) worker
        exceptions.exception_retry(item_id=item.pk, user=manager)
    event.refresh_from_db()
    assert event.status == OutboxStatus.DONE and HANDLED == [event.pk]
    exceptions.refresh_exceptions()
    assert ExceptionItem.objects.get(pk=item.pk).close_reason == "retried"
    assert not ExceptionItem.objects.filter(closed_at__isnull=True).exists()


HANDLED: list[int] = []


def flaky_handler(event):
    HANDLED.append(event.id)


# --- the page -----------------------------------------------------------------------------------


def test_page_lists_the_items_of_the_users_roles_and_a_manager_sees_all(rule, role_client, monkeypatch):
    found("shipment:1")
    exceptions.refresh_exceptions()
    ExceptionItem.objects.create(rule="test.other", subject="po:1", title="PO late", role=Role.PURCHASING,
                                 opened_at=timezone.now(), last_seen_at=timezone.now())  # fmt: skip
    warehouse = role_client(Role.WAREHOUSE).get("/exceptions/")
    assert warehouse.status_code == 200
    body = warehouse.content.decode()
    assert "shipment:1 is broken" in body and "PO late" not in body
    manager = role_client(Role.MANAGER).get("/exceptions/").content.decode()
    assert "shipment:1 is broken" in manager and "PO late" in manager
    # filters: by role and by rule; a bad filter value is ignored, not a 500
    only_po = role_client(Role.MANAGER).get("/exceptions/?role=purchasing").content.decode()
    assert "PO late" in only_po and "shipment:1 is broken" not in only_po
    assert role_client(Role.MANAGER).get("/exceptions/?rule=nonsense&role=bogus&tab=x").status_code == 200
    # a NUL in a query value is refused for every page in one place (oms.input_guard)
    assert role_client(Role.MANAGER).get("/exceptions/?rule=nonsense&role=%00&tab=x").status_code == 400


def test_filter_via_htmx_swaps_only_the_table(rule, role_client):
    found("shipment:1")
    exceptions.refresh_exceptions()
    response = role_client(Role.WAREHOUSE).get("/exceptions/?rule=test.scratch", **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and response["Vary"].count("HX-Request")
    assert body.lstrip().startswith('<div id="exception-table">') and "shipment:1 is broken" in body
    assert "<html" not in body and "Warehouse" in body  # the role's label, not its code


def test_page_needs_a_staff_role(role_client, client):
    assert role_client(Role.API_CLIENT).get("/exceptions/").status_code == 403
    assert client.get("/exceptions/").status_code == 302


def test_page_query_count_does_not_grow_with_items(rule, role_client, django_assert_max_num_queries):
    found(*[f"order:{n}" for n in range(40)])
    exceptions.refresh_exceptions()
    c = role_client(Role.WAREHOUSE)
    with django_assert_max_num_queries(8):
        assert c.get("/exceptions/").status_code == 200
    for item in ExceptionItem.objects.all()[:20]:
        exceptions.exception_resolve(item_id=item.pk, user=None)
    with django_assert_max_num_queries(8):
        assert c.get("/exceptions/?tab=closed").status_code == 200


def test_resolve_and_retry_buttons_via_htmx(rule, role_client, make_user):
    found("shipment:1", "shipment:2")
    exceptions.refresh_exceptions()
    one, two = ExceptionItem.objects.order_by("subject")
    c = role_client(Role.WAREHOUSE)
    response = c.post(f"/exceptions/{one.pk}/resolve/", {"note": "fixed by hand"}, **HTMX)
    assert response.status_code == 200 and "fixed by hand" in response.content.decode()
    assert 'data-testid="resolve"' not in response.content.decode()
    one.refresh_from_db()
    assert one.close_reason == "resolved" and one.closed_by.groups.filter(name=Role.WAREHOUSE).exists()
    response = c.post(f"/exceptions/{two.pk}/retry/", **HTMX)
    assert response.status_code == 200 and RETRIED == [
        ("shipment:2", two.__class__.objects.get(pk=two.pk).closed_by.username)
    ]
    # resolving again answers with the closed row and a message, not an error page
    again = c.post(f"/exceptions/{one.pk}/resolve/", **HTMX)
    assert again.status_code == 200 and "closed already" in again.content.decode()
    # the closed tab says who, when and how
    closed = c.get("/exceptions/?tab=closed").content.decode()
    assert "fixed by hand" in closed and "Retried" in closed
    # another role may not act; an unknown item is a 404
    assert role_client(Role.PURCHASING).post(f"/exceptions/{one.pk}/resolve/").status_code == 403
    assert c.post("/exceptions/999999/resolve/").status_code == 404


def test_refresh_now_button(rule, role_client):
    found("shipment:3")
    response = role_client(Role.WAREHOUSE).post("/exceptions/refresh/", {"next": "/exceptions/?tab=open"}, follow=True)
    assert response.status_code == 200 and "shipment:3 is broken" in response.content.decode()
    assert response.redirect_chain[-1][0] == "/exceptions/?tab=open"
    # an outside "next" is not followed
    assert (
        role_client(Role.WAREHOUSE).post("/exceptions/refresh/", {"next": "https://evil.example/"}).url
        == "/exceptions/"
    )


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_open_one_item_per_subject(rule):
    found(*[f"order:{n}" for n in range(20)])
    barrier = threading.Barrier(4)
    errors = []

    def refresh():
        try:
            barrier.wait()
            exceptions.refresh_exceptions()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ExceptionItem.objects.filter(closed_at__isnull=True).count() == 20


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_second_open_item_for_a_subject():
    from django.db import IntegrityError

    now = timezone.now()
    ExceptionItem.objects.create(rule="r", subject="s", title="t", role="warehouse", opened_at=now, last_seen_at=now)
    with pytest.raises(IntegrityError):
        ExceptionItem.objects.create(rule="r", subject="s", title="t", role="warehouse", opened_at=now,
                                     last_seen_at=now)  # fmt: skip
