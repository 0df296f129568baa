"""Model instances from hand-written SQL, for the few reads on a hot path.

The ORM compiles every queryset anew: for a one-row lookup that costs more CPU than the query
itself (order intake reads a token, a customer, addresses and products per request,
bench/order_intake.py). ``select_models`` runs a ``WHERE`` clause we write once against every
concrete column of the model and builds the instances the way the ORM does (``Model.from_db``,
with each field's ``from_db_value`` converter), so callers get ordinary model instances.
"""

from __future__ import annotations

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection


@cache
def _shape(model) -> tuple[str, tuple[str, ...], tuple]:
    fields = model._meta.concrete_fields
    columns = ", ".join(f'{model._meta.db_table}."{field.column}"' for field in fields)
    names = tuple(field.attname for field in fields)
    converters = tuple((index, field) for index, field in enumerate(fields) if hasattr(field, "from_db_value"))
    return columns, names, converters


def model_columns(model) -> str:
    """``table."col", ...`` for every concrete field of ``model``, in ``select_models``' order."""
    return _shape(model)[0]


def select_models(model, where: str, params, *, order_by: str = "", extra_from: str = "") -> list:
    """``SELECT <all columns> FROM <table> [extra_from] WHERE <where> [ORDER BY ...]`` as instances."""
    columns, _, _ = _shape(model)
    sql = f"SELECT {columns} FROM {model._meta.db_table} {extra_from} WHERE {where}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [instance(model, row) for row in cursor.fetchall()]


def instance(model, row) -> object:
    """A model instance from a row holding ``model_columns(model)`` (in that order)."""
    _, names, converters = _shape(model)
    if converters:
        row = list(row)
        for index, field in converters:
            row[index] = field.from_db_value(row[index], None, connection)
    return model.from_db(DEFAULT_DB_ALIAS, names, row)
