"""Outbound webhooks (API.md 1.1 "Webhooks"): signing checked by the ``standardwebhooks``
library on a receiver on 127.0.0.1, the retry schedule and its log, replay, the endpoint that is
disabled after failing too long (and its exception-inbox item), URL and event-type validation as
problem+json, the scope, and the managers' screen. The 200-order run through a real worker is in
test_webhooks_worker.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from oms import events, exceptions, feed, webhooks
from oms.models import ExceptionItem, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.support.fake_receiver import FakeReceiver

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhook-endpoints/"


@pytest.fixture
def loopback(settings):
    settings.OMS_WEBHOOKS_ALLOW_LOOPBACK = True
    settings.OMS_WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800]
    settings.OMS_WEBHOOK_TIMEOUT_SECONDS = 0.5
    return settings


@pytest.fixture
def receiver():
    servers = []

    def start(**kwargs) -> FakeReceiver:
        server = FakeReceiver(**kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _endpoint(server: FakeReceiver, **kwargs) -> WebhookEndpoint:
    endpoint, secret = webhooks.endpoint_create(url=server.url, **kwargs)
    server.secret = secret
    return endpoint


def _event(name: str = "order.placed", payload: dict | None = None):
    return events.publish(name, payload or {"order_id": 12})


def _fanned(event) -> WebhookDelivery:
    (delivery_id,) = webhooks.fan_out([event.pk])
    return WebhookDelivery.objects.get(pk=delivery_id)


def _make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


# --- signing and payload ------------------------------------------------------------------------


def test_a_delivery_is_signed_so_that_the_standard_webhooks_library_verifies_it(loopback, receiver):
    # given an endpoint on a receiver that verifies with the library and the secret shown once
    server = receiver()
    endpoint = _endpoint(server)
    assert server.secret.startswith("whsec_")
    # when an event is fanned out and delivered
    event = _event()
    delivery = _fanned(event)
    assert webhooks.deliver(delivery.pk) == ("succeeded", None)
    # then the receiver accepted it once: verified, with the event id as webhook-id
    assert not server.bad
    ((headers, body),) = server.accepted
    assert headers["webhook-id"] == str(event.pk)
    assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 10
    assert body == {"api_version": "1.1", **feed.event_body(feed.from_outbox(event))}
    assert body["type"] == "order.placed" and body["data"] == {"order_id": 12} and body["sequence"] == event.pk
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.delivered_at and delivery.last_status_code == 200
    # and a receiver with another secret refuses it
    other = webhooks.new_secret()
    server.secret = other
    webhooks.replay(delivery_id=delivery.pk)
    assert webhooks.deliver(delivery.pk)[0] == "pending"
    assert server.bad and "signature" in server.bad[0][1].lower()
    assert endpoint.secret != other


def test_the_feed_and_the_webhook_carry_the_same_body(loopback, receiver, api_client_for):
    server = receiver()
    _endpoint(server)
    event = _event("invoice.issued", {"invoice_id": 7, "order_id": 3})
    webhooks.deliver(_fanned(event).pk)
    page = api_client_for(scopes=["events:read"]).get("/api/v1/events/", {"types": "invoice.issued"}).json()
    # the feed hands events out once their transaction ended: this test's transaction is still open,
    # so build the feed's body from the same row the way the feed does
    (body,) = server.unique().values()
    assert {k: v for k, v in body.items() if k != "api_version"} == feed.event_body(feed.from_outbox(event))
    assert page["results"] == [] or page["results"][0] == {k: v for k, v in body.items() if k != "api_version"}


# --- fan-out ------------------------------------------------------------------------------------


def test_fan_out_makes_one_delivery_per_event_and_subscribed_enabled_endpoint(loopback, receiver):
    server = receiver()
    every = _endpoint(server)
    invoices = _endpoint(server, event_types=["invoice.issued"])
    off = _endpoint(server, enabled=False)
    placed, issued, ping = _event(), _event("invoice.issued", {"invoice_id": 1}), _event("oms.ping", {"tag": "x"})
    ids = webhooks.fan_out([placed.pk, issued.pk, ping.pk])
    pairs = set(WebhookDelivery.objects.filter(pk__in=ids).values_list("endpoint_id", "event_id"))
    assert pairs == {(every.pk, placed.pk), (every.pk, issued.pk), (invoices.pk, issued.pk)}
    assert not WebhookDelivery.objects.filter(endpoint=off).exists()
    # the same batch again (a message delivered twice) makes nothing new
    assert webhooks.fan_out([placed.pk, issued.pk, ping.pk]) == []
    assert WebhookDelivery.objects.count() == 3


def test_an_endpoint_added_later_does_not_get_the_handled_history(loopback, receiver):
    event = _event("order.allocated")
    assert events.dispatch(event.pk) == "done"
    _endpoint(receiver())
    assert webhooks.fan_out([event.pk]) == []


# --- retries, log, replay -----------------------------------------------------------------------


def test_failed_attempts_are_retried_on_the_schedule_and_each_is_logged(loopback, receiver):
    # given a receiver that answers 500, then lets the request time out, then accepts
    server = receiver(fail_first=("500", "timeout"), slow_seconds=1.5)
    _endpoint(server)
    delivery = _fanned(_event())
    # when the first attempt gets a 500
    before = timezone.now()
    status, delay = webhooks.deliver(delivery.pk)
    # then it waits the schedule's first step
    assert (status, delay) == ("pending", timedelta(seconds=5))
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert before + timedelta(seconds=5) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=5)
    # and is not sent again before then
    assert webhooks.deliver(delivery.pk) == ("skipped", None)
    # when the retry is due and gets no answer in time
    _make_due(delivery)
    assert webhooks.deliver(delivery.pk) == ("pending", timedelta(seconds=300))
    # and the third attempt is accepted
    _make_due(delivery)
    assert webhooks.deliver(delivery.pk) == ("succeeded", None)
    # then the log has each attempt, newest first
    third, second, first = WebhookAttempt.objects.filter(delivery=delivery)
    assert (first.status_code, first.succeeded, first.error) == (500, False, "HTTP 500")
    assert "receiver broke" in first.response_excerpt
    assert second.status_code is None and second.error == "No answer within 0.5 s"
    assert 400 <= second.latency_ms < 1500
    assert (third.status_code, third.succeeded, third.response_excerpt) == (200, True, '{"received": true}')
    # and the receiver saw three tries of one webhook-id and accepted it once
    assert list(server.tries.values()) == [3] and len(server.accepted) == 1


def test_the_default_schedule_retries_for_more_than_a_day():
    from django.conf import settings

    from oms.settings.base import OMS_WEBHOOK_RETRY_SCHEDULE

    assert sum(OMS_WEBHOOK_RETRY_SCHEDULE) > 24 * 3600
    assert list(OMS_WEBHOOK_RETRY_SCHEDULE) == sorted(OMS_WEBHOOK_RETRY_SCHEDULE)
    assert settings.OMS_WEBHOOK_TIMEOUT_SECONDS == 10


def test_a_connection_reset_is_a_failed_attempt(loopback, receiver):
    server = receiver(mode="reset")
    _endpoint(server)
    delivery = _fanned(_event())
    assert webhooks.deliver(delivery.pk)[0] == "pending"
    (attempt,) = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None and attempt.error


def test_when_the_schedule_runs_out_the_delivery_fails_and_replay_sends_it_again(loopback, receiver):
    loopback.OMS_WEBHOOK_RETRY_SCHEDULE = [1]
    server = receiver(mode="500")
    endpoint = _endpoint(server)
    delivery = _fanned(_event())
    webhooks.deliver(delivery.pk)
    _make_due(delivery)
    assert webhooks.deliver(delivery.pk) == ("failed", None)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert webhooks.sweep() == 0  # given up: the sweep leaves it
    # when the receiver is fixed and the failed deliveries are replayed
    server.mode = "ok"
    assert webhooks.replay_failed(endpoint_id=endpoint.pk) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert webhooks.deliver(delivery.pk) == ("succeeded", None)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 3


def test_the_sweep_picks_up_due_retries_of_enabled_endpoints_only(loopback, receiver):
    server = receiver(mode="500")
    endpoint = _endpoint(server)
    delivery = _fanned(_event())
    webhooks.deliver(delivery.pk)
    assert webhooks.due_delivery_ids() == []
    _make_due(delivery)
    assert webhooks.due_delivery_ids() == [delivery.pk]
    webhooks.endpoint_update(endpoint_id=endpoint.pk, enabled=False)
    assert webhooks.due_delivery_ids() == []
    assert webhooks.deliver(delivery.pk) == ("skipped", None)


# --- auto-disable -------------------------------------------------------------------------------


def test_an_endpoint_failing_too_long_is_disabled_and_opens_an_inbox_item(loopback, receiver, make_user):
    loopback.OMS_WEBHOOK_DISABLE_AFTER_HOURS = 1
    server = receiver(mode="500")
    endpoint = _endpoint(server)
    first = _fanned(_event())
    # a failure starts the clock; the endpoint stays enabled while it is young
    webhooks.deliver(first.pk)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since
    # when it has failed without a success for longer than the setting
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(hours=2))
    webhooks.deliver(_fanned(_event()).pk)
    # then it is disabled, and the exception inbox shows it to a manager
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "failing"
    exceptions.refresh_exceptions(only=[webhooks.RULE])
    item = ExceptionItem.objects.get(rule=webhooks.RULE, closed_at__isnull=True)
    assert item.subject == f"webhook_endpoint:{endpoint.pk}" and server.url in item.title
    assert item.url == f"/integrations/webhooks/{endpoint.pk}/"
    # and its retry enables the endpoint again and replays what failed for good
    WebhookDelivery.objects.filter(pk=first.pk).update(status="failed")
    server.mode = "ok"
    exceptions.exception_retry(item_id=item.pk, user=make_user("manager"))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None
    assert WebhookDelivery.objects.get(pk=first.pk).status == "pending"
    exceptions.refresh_exceptions(only=[webhooks.RULE])
    assert not ExceptionItem.objects.filter(rule=webhooks.RULE, closed_at__isnull=True).exists()


def test_a_success_stops_the_failure_clock(loopback, receiver):
    server = receiver(fail_first=("500",))
    endpoint = _endpoint(server)
    delivery = _fanned(_event())
    webhooks.deliver(delivery.pk)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since
    _make_due(delivery)
    webhooks.deliver(delivery.pk)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None


# --- the API ------------------------------------------------------------------------------------


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["errors"][0]


@pytest.mark.parametrize(
    "url,code",
    [
        ("", "required"),
        ("not a url", "invalid"),
        ("ftp://203.0.113.5/x", "invalid"),
        ("https://user:pw@203.0.113.5/x", "invalid"),
        ("http://203.0.113.5/hooks", "https_required"),
        ("https://10.1.2.3/hooks", "endpoint_not_allowed"),
        ("https://169.254.169.254/latest", "endpoint_not_allowed"),
        ("https://127.0.0.1/hooks", "endpoint_not_allowed"),
        ("http://127.0.0.1:8000/hooks", "https_required"),
        ("https://[::ffff:192.168.1.1]/hooks", "endpoint_not_allowed"),
        ("https://no-such-host.invalid/hooks", "unresolvable"),
        ("https://203.0.113.5:99999/x", "invalid"),
    ],
)
def test_a_url_that_may_not_be_called_is_refused_with_field_and_code(url, code, api_client_for):
    client = api_client_for(scopes=["webhooks:write"])
    error = _problem(client.post(URL, {"url": url}, format="json"), 400)
    assert (error["field"], error["code"]) == ("url", code)
    assert not WebhookEndpoint.objects.exists()


def test_loopback_is_allowed_only_when_the_setting_says_so(settings, api_client_for):
    client = api_client_for(scopes=["webhooks:write"])
    settings.OMS_WEBHOOKS_ALLOW_LOOPBACK = True
    assert client.post(URL, {"url": "http://127.0.0.1:9/hooks"}, format="json").status_code == 201
    assert client.post(URL, {"url": "http://localhost:9/hooks"}, format="json").status_code == 201
    # private addresses stay refused
    assert _problem(client.post(URL, {"url": "https://10.0.0.1/"}, format="json"), 400)["code"] == (
        "endpoint_not_allowed"
    )


def test_unknown_event_types_are_refused(settings, api_client_for):
    settings.OMS_WEBHOOKS_ALLOW_LOOPBACK = True
    client = api_client_for(scopes=["webhooks:write"])
    body = {"url": "http://127.0.0.1:9/", "event_types": ["order.placed", "order.teleported", "oms.ping"]}
    error = _problem(client.post(URL, body, format="json"), 400)
    assert (error["field"], error["code"]) == ("event_types", "unknown_event_type")
    assert "order.teleported" in error["message"] and "oms.ping" in error["message"]
    response = client.post(URL, {"url": "http://127.0.0.1:9/", "event_types": "order.placed"}, format="json")
    assert _problem(response, 400)["field"] == "event_types"


def test_endpoints_through_the_api(settings, api_client_for):
    settings.OMS_WEBHOOKS_ALLOW_LOOPBACK = True
    client = api_client_for(scopes=["webhooks:write"])
    # create: the secret is in this answer only
    created = client.post(URL, {"url": "http://127.0.0.1:9/h", "event_types": ["order.placed"]}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["enabled"] is True
    assert body["event_types"] == ["order.placed"]
    detail = f"{URL}{body['id']}/"
    read = client.get(detail).json()
    assert "secret" not in read and read["url"] == "http://127.0.0.1:9/h"
    assert "secret" not in client.get(URL).json()["results"][0]
    # update
    changed = client.patch(detail, {"enabled": False, "event_types": []}, format="json").json()
    assert changed["enabled"] is False and changed["disabled_reason"] == "manual" and changed["event_types"] == []
    error = _problem(client.patch(detail, {"url": "http://203.0.113.5/"}, format="json"), 400)
    assert (error["field"], error["code"]) == ("url", "https_required")
    assert client.get(detail).json()["url"] == "http://127.0.0.1:9/h"
    # replay on a disabled endpoint: a conflict
    error = _problem(client.post(f"{detail}replay-failed/"), 409)
    assert error["code"] == "endpoint_disabled"
    # delete
    assert client.delete(detail).status_code == 204
    assert client.get(detail).status_code == 404
    assert client.get(f"{URL}999999/deliveries/").status_code == 404


def test_the_delivery_log_and_replay_through_the_api(loopback, receiver, api_client_for):
    server = receiver(fail_first=("500",))
    endpoint = _endpoint(server)
    delivery = _fanned(_event())
    webhooks.deliver(delivery.pk)
    client = api_client_for(scopes=["webhooks:write"])
    log = client.get(f"{URL}{endpoint.pk}/deliveries/").json()
    (row,) = log["results"]
    assert row["event_id"] == str(delivery.event_id) and row["event_type"] == "order.placed"
    assert row["status"] == "pending" and row["attempts"] == 1 and row["last_status_code"] == 500
    (attempt,) = row["attempt_log"]
    assert (
        attempt["status_code"] == 500 and attempt["latency_ms"] >= 0 and "receiver broke" in attempt["response_excerpt"]
    )
    assert client.get(f"{URL}{endpoint.pk}/deliveries/", {"status": "failed"}).json()["results"] == []
    replayed = client.post(f"{URL}{endpoint.pk}/deliveries/{delivery.pk}/replay/")
    assert replayed.status_code == 202 and replayed.json()["attempts"] == 0
    assert webhooks.deliver(delivery.pk) == ("succeeded", None)
    assert client.post(f"{URL}{endpoint.pk}/deliveries/999999/replay/").status_code == 404
    assert client.post(f"{URL}{endpoint.pk}/replay-failed/").json() == {"replayed": 0}


def test_a_client_without_the_scope_is_refused(api_client_for):
    client = api_client_for(scopes=["orders:read", "events:read"])
    error = _problem(client.get(URL), 403)
    assert error["code"] == "insufficient_scope" and error["required_scopes"] == ["webhooks:write"]
    assert _problem(client.post(URL, {"url": "https://203.0.113.5/"}, format="json"), 403)["code"] == (
        "insufficient_scope"
    )
    assert not WebhookEndpoint.objects.exists()


def test_the_schema_documents_the_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/v1/webhook-endpoints/" in paths
    assert "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/replay/" in paths
    post = paths["/api/v1/webhook-endpoints/"]["post"]
    assert post["x-required-scopes"] == ["webhooks:write"]


# --- the screen ---------------------------------------------------------------------------------


def test_a_manager_adds_an_endpoint_on_the_screen_and_sees_the_secret_once(loopback, manager_client):
    page = manager_client.post(
        "/integrations/webhooks/new/", {"url": "http://127.0.0.1:9/h", "event_types": ["order.placed"], "enabled": "on"}
    )
    assert page.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in page.content.decode() and endpoint.event_types == ["order.placed"]
    listing = manager_client.get("/integrations/webhooks/").content.decode()
    assert "http://127.0.0.1:9/h" in listing and endpoint.secret not in listing
    detail = manager_client.get(f"/integrations/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in detail


def test_the_screen_shows_url_errors_on_the_field(manager_client):
    page = manager_client.post("/integrations/webhooks/new/", {"url": "http://203.0.113.5/h"})
    assert page.status_code == 200 and "The URL must use https." in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_screen_toggles_shows_the_log_and_replays(loopback, receiver, manager_client):
    server = receiver(mode="500")
    endpoint = _endpoint(server)
    delivery = _fanned(_event())
    webhooks.deliver(delivery.pk)
    page = manager_client.get(f"/integrations/webhooks/{endpoint.pk}/").content.decode()
    assert f'data-delivery="{delivery.pk}"' in page and "HTTP 500" in page and "receiver broke" in page
    # replay one
    response = manager_client.post(f"/integrations/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 302
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 0
    # replay every failed one
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    manager_client.post(f"/integrations/webhooks/{endpoint.pk}/replay-failed/")
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "pending"
    # disable and enable
    manager_client.post(f"/integrations/webhooks/{endpoint.pk}/toggle/")
    assert not WebhookEndpoint.objects.get(pk=endpoint.pk).enabled
    follow = manager_client.post(f"/integrations/webhooks/{endpoint.pk}/replay-failed/", follow=True)
    assert "Enable the endpoint first." in follow.content.decode()
    manager_client.post(f"/integrations/webhooks/{endpoint.pk}/toggle/")
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).enabled
    # edit
    manager_client.post(
        f"/integrations/webhooks/{endpoint.pk}/", {"url": server.url, "description": "ERP", "enabled": "on"}
    )
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).description == "ERP"
    # delete
    manager_client.post(f"/integrations/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.exists()


def test_other_roles_may_not_open_the_screen(role_client):
    assert role_client("accounting").get("/integrations/webhooks/").status_code == 403
