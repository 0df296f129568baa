"""Page navigation for big lists without ``COUNT(*)``: fetch one row more than the page to know
whether a next page exists. Lists keep their filters in the query string."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Page:
    rows: list
    number: int
    per_page: int
    has_next: bool
    query: dict
    hx_target: str = ""

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1 if self.rows else 0

    def _query_for(self, number: int) -> str:
        params = self.query.copy()
        params["page"] = str(number)
        return params.urlencode()

    @property
    def next_query(self) -> str:
        return self._query_for(self.number + 1)

    @property
    def previous_query(self) -> str:
        return self._query_for(self.number - 1)


def page_number(value) -> int:
    try:
        return max(1, min(int(value), 10_000))
    except (TypeError, ValueError):
        return 1


def paginate(queryset, request_query, per_page: int = 50, hx_target: str = "") -> Page:
    """Slice ``queryset`` for ``?page=N`` (one query, LIMIT per_page + 1)."""
    number = page_number(request_query.get("page"))
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return Page(
        rows=rows[:per_page],
        number=number,
        per_page=per_page,
        has_next=len(rows) > per_page,
        query=request_query,
        hx_target=hx_target,
    )
