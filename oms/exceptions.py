"""The exception inbox: everything that breaks a rule, in one list, with the role that owns it.

Each app registers its rules from its ``AppConfig.ready()`` (``register(Rule(...))``), so
``oms`` imports no app. A rule's ``find()`` returns the subjects that break it right now (one
indexed query, at most ``OMS_EXCEPTION_RULE_LIMIT`` of them); its optional ``retry(subject,
user)`` starts the fix the app already has (re-send a dead event, hand a parcel to the carrier
again, re-queue an invoice e-mail).

``refresh_exceptions()`` (beat, every few minutes, and "Refresh now" on the page) syncs the
items with the rules, set-based: it opens an item for every new subject, touches the open ones
still found, and closes the open ones no longer found (``closed_by`` empty, reason ``cleared``).

Resolve and retry close an item by hand (who and when are kept). So that the next refresh does
not reopen it at once, a subject closed by hand stays closed while the rule reports the same
``occurrence`` for it and the hand-close is recent: ``OMS_EXCEPTION_RESOLVE_SNOOZE_HOURS`` after
*resolve*, ``OMS_EXCEPTION_RETRY_GRACE_MINUTES`` after *retry* (time for the retry to work).
A new occurrence (the rule reports a different ``occurrence``, e.g. a hand-off that failed
again at another time) reopens it at once, and so does the same one after the snooze.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from oms import dashboards
from oms.errors import Conflict, NotFound
from oms.models import CloseReason, ExceptionItem, OutboxEvent, OutboxStatus
from oms.roles import Role, has_role, user_roles

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key: refreshes run one at a time (the unique index is the backstop).
REFRESH_LOCK = 0x0E1C_B0C5


@dataclass(frozen=True)
class Finding:
    """One subject that breaks a rule now."""

    subject: str  # "order:123"
    title: str
    url: str = ""
    detail: dict = field(default_factory=dict)
    occurrence: str = ""  # changes when the cause happens anew (a later failure, a new date)


@dataclass(frozen=True)
class Rule:
    code: str  # "orders.unallocated"
    label: str  # "Orders waiting for stock"
    role: str  # the role that owns it (oms.roles.Role value)
    find: Callable[[], list[Finding]]
    retry: Callable[[str, object], str] | None = None  # (subject, user) -> message; raises OmsError
    retry_label: str = "Retry"


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add (or replace, on autoreload) a rule; apps call this from ``AppConfig.ready()``."""
    RULES[rule.code] = rule
    return rule


def subject_id(subject: str) -> int:
    """The id in a finding's subject (``"order:123"`` -> 123), for a rule's retry."""
    return int(subject.split(":", 1)[1])


def rule_limit() -> int:
    return settings.OMS_EXCEPTION_RULE_LIMIT


def hours_ago(setting: str):
    return timezone.now() - timedelta(hours=getattr(settings, setting))


@dataclass
class RefreshResult:
    opened: int = 0
    touched: int = 0
    closed: int = 0
    failed_rules: list[str] = field(default_factory=list)


def refresh_exceptions(*, only: list[str] | None = None) -> RefreshResult:
    """Run every rule (or those in ``only``) and sync the open items. Refreshes run one at a
    time (a transaction-level advisory lock); a rule that raises is logged and its items are
    left as they are. Returns the counts."""
    result = RefreshResult()
    for code, rule in list(RULES.items()):
        if only and code not in only:
            continue
        try:
            findings = rule.find()
        except Exception:
            logger.exception("exceptions: rule %s failed", code)
            result.failed_rules.append(code)
            continue
        opened, touched, closed = _sync(rule, findings, complete=len(findings) < rule_limit())
        result.opened, result.touched, result.closed = (
            result.opened + opened,
            result.touched + touched,
            result.closed + closed,
        )
    return result


def _sync(rule: Rule, findings: list[Finding], *, complete: bool) -> tuple[int, int, int]:
    """Open, touch and close the items of one rule in one short transaction. When the rule's
    list was cut at the limit (``complete`` False) nothing is closed: a missing subject may only
    be beyond the cut."""
    now = timezone.now()
    by_subject = {f.subject: f for f in findings}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        open_items = ExceptionItem.objects.filter(rule=rule.code, closed_at__isnull=True)
        touched = open_items.filter(subject__in=list(by_subject)).update(last_seen_at=now)
        closed = 0
        if complete:
            closed = open_items.exclude(subject__in=list(by_subject)).update(
                closed_at=now, close_reason=CloseReason.CLEARED, closed_by=None
            )
        already_open = set(open_items.filter(subject__in=list(by_subject)).values_list("subject", flat=True))
        new = [f for f in findings if f.subject not in already_open]
        held = _held_closed(rule.code, new, now)
        rows = [
            ExceptionItem(
                rule=rule.code,
                subject=f.subject,
                title=f.title[:300],
                url=f.url[:300],
                role=rule.role,
                occurrence=f.occurrence[:100],
                detail=f.detail,
                opened_at=now,
                last_seen_at=now,
            )
            for f in new
            if f.subject not in held
        ]
        # ON CONFLICT DO NOTHING: the partial unique index keeps one open item per subject.
        created = ExceptionItem.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created), touched, closed


def _held_closed(code: str, findings: list[Finding], now) -> set[str]:
    """Subjects closed by hand recently whose occurrence has not changed: they stay closed."""
    if not findings:
        return set()
    resolved_since = now - timedelta(hours=settings.OMS_EXCEPTION_RESOLVE_SNOOZE_HOURS)
    retried_since = now - timedelta(minutes=settings.OMS_EXCEPTION_RETRY_GRACE_MINUTES)
    recent = (
        ExceptionItem.objects.filter(rule=code, subject__in=[f.subject for f in findings])
        .filter(
            Q(close_reason=CloseReason.RESOLVED, closed_at__gte=resolved_since)
            | Q(close_reason=CloseReason.RETRIED, closed_at__gte=retried_since)
        )
        .values_list("subject", "occurrence")
    )
    occurrences = {f.subject: f.occurrence[:100] for f in findings}
    return {subject for subject, occurrence in recent if occurrences.get(subject) == occurrence}


def _open_item(item_id: int, *, lock: bool) -> ExceptionItem:
    items = ExceptionItem.objects.select_for_update() if lock else ExceptionItem.objects
    item = items.filter(pk=item_id).first()
    if item is None:
        raise NotFound("No such exception.", code="exception_not_found")
    if item.closed_at is not None:
        raise Conflict("This exception is closed already.", code="exception_closed")
    return item


def exception_resolve(*, item_id: int, user, note: str = "") -> ExceptionItem:
    """Close an open item by hand (reason ``resolved``), recording who, when and the note.
    Durable; locks the item. Raises ``NotFound``, ``Conflict`` ``exception_closed``."""
    with transaction.atomic(durable=True):
        item = _open_item(item_id, lock=True)
        item.closed_at, item.closed_by, item.close_reason = timezone.now(), user, CloseReason.RESOLVED
        item.note = note.strip()[:500]
        item.save(update_fields=["closed_at", "closed_by", "close_reason", "note"])
    return item


def exception_retry(*, item_id: int, user) -> ExceptionItem:
    """Run the rule's retry for the item's subject, then close the item (reason ``retried``,
    who and when). The retry is the app's own service in its own transaction, so this is not
    atomic with it: when a refresh closed the item in between (the retry already worked), the
    item stays closed as it is. Raises ``NotFound``, ``Conflict`` (``exception_closed``,
    ``retry_not_supported``, or what the app's retry raises)."""
    item = _open_item(item_id, lock=False)
    rule = RULES.get(item.rule)
    if rule is None or rule.retry is None:
        raise Conflict("This kind of exception cannot be retried.", code="retry_not_supported")
    message = rule.retry(item.subject, user) or ""
    with transaction.atomic(durable=True):
        item = ExceptionItem.objects.select_for_update().get(pk=item_id)
        if item.closed_at is not None:  # a refresh saw the retry work first: nothing left to close
            return item
        item.closed_at, item.closed_by, item.close_reason = timezone.now(), user, CloseReason.RETRIED
        item.note = str(message)[:500]
        item.save(update_fields=["closed_at", "closed_by", "close_reason", "note"])
    return item


# --- oms's own rules ----------------------------------------------------------------------------


def _dead_events() -> list[Finding]:
    rows = (
        OutboxEvent.objects.filter(status=OutboxStatus.DEAD)
        .order_by("id")
        .values("id", "name", "attempts", "last_error", "created_at")[: rule_limit()]
    )
    return [
        Finding(
            subject=f"event:{row['id']}",
            title=f"Event {row['name']} #{row['id']} failed {row['attempts']} times",
            url=f"/admin/oms/outboxevent/{row['id']}/change/",
            detail={"error": row["last_error"][:300]},
            occurrence=row["last_error"][:100],
        )
        for row in rows
    ]


def _retry_dead_event(subject: str, user) -> str:
    from oms import events

    if not events.retry_dead([subject_id(subject)]):
        raise Conflict("The event is not dead any more.", code="not_dead")
    return "Event queued again."


def register_builtin_rules() -> None:
    register(
        Rule(
            code="oms.dead_event",
            label=gettext_noop("Events that failed for good"),
            role=Role.MANAGER,
            find=_dead_events,
            retry=_retry_dead_event,
        )
    )


# --- reads for the page -------------------------------------------------------------------------

OPEN_PAGE_LIMIT = 200
CLOSED_PAGE_LIMIT = 100


def visible_roles(user) -> frozenset[str] | None:
    """The roles whose items the user sees; None for a manager (all)."""
    return None if has_role(user) else user_roles(user)


def _visible(queryset, roles: frozenset[str] | None):
    return queryset if roles is None else queryset.filter(role__in=sorted(roles))


def open_items(*, roles: frozenset[str] | None, rule: str = "", role: str = "") -> list[ExceptionItem]:
    """Open items the roles own (None: all, for a manager), oldest first; at most
    ``OPEN_PAGE_LIMIT``. One query on the partial index."""
    queryset = _visible(ExceptionItem.objects.filter(closed_at__isnull=True), roles)
    if rule:
        queryset = queryset.filter(rule=rule)
    if role:
        queryset = queryset.filter(role=role)
    return list(queryset.order_by("opened_at", "id")[:OPEN_PAGE_LIMIT])


def open_counts_by_rule(*, roles: frozenset[str] | None) -> dict[tuple[str, str], int]:
    """(rule, role) -> open items, for the filter chips (one aggregate)."""
    queryset = _visible(ExceptionItem.objects.filter(closed_at__isnull=True), roles)
    return {(r["rule"], r["role"]): r["n"] for r in queryset.values("rule", "role").annotate(n=Count("id"))}


def closed_items(*, roles: frozenset[str] | None, rule: str = "", role: str = "") -> list[ExceptionItem]:
    """The most recently closed items (who, when, how), newest first; one query."""
    queryset = _visible(ExceptionItem.objects.filter(closed_at__isnull=False), roles)
    if rule:
        queryset = queryset.filter(rule=rule)
    if role:
        queryset = queryset.filter(role=role)
    return list(queryset.select_related("closed_by").order_by("-closed_at", "-id")[:CLOSED_PAGE_LIMIT])


def item_get(item_id: int) -> ExceptionItem:
    item = ExceptionItem.objects.select_related("closed_by").filter(pk=item_id).first()
    if item is None:
        raise NotFound("No such exception.", code="exception_not_found")
    return item


# --- the dashboard panel ------------------------------------------------------------------------


PANEL_ROLES = (Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.PURCHASING, Role.ACCOUNTING)


def _dashboard_panel(user) -> dashboards.PanelData:
    """Open exceptions of the user's roles, one number per rule, each linked to the inbox
    filtered on that rule (one aggregate on the open-items index)."""
    counts = open_counts_by_rule(roles=visible_roles(user))
    per_rule: dict[str, int] = {}
    for (code, _owner), n in counts.items():
        per_rule[code] = per_rule.get(code, 0) + n
    stats = [
        dashboards.Stat(
            label=gettext(RULES[code].label) if code in RULES else code,
            value=n,
            url=dashboards.link("oms:exceptions", rule=code),
            alert=True,
            key=f"exceptions-{code}",
        )
        for code, n in sorted(per_rule.items(), key=lambda kv: -kv[1])
    ]
    total = dashboards.Stat(
        label=gettext("All open"),
        value=sum(per_rule.values()),
        url=dashboards.link("oms:exceptions"),
        key="exceptions-total",
    )
    return dashboards.PanelData(stats=[total, *stats])


def register_dashboard_panel() -> None:
    dashboards.register("oms.exceptions", gettext_noop("Open exceptions"), PANEL_ROLES, order=1)(_dashboard_panel)
