"""CSV/XLSX imports of products and of stock counts, processed by a worker row by row.

The upload is parsed and checked (format, columns, size) in the request; the rows are stored
on an ``ImportJob`` and a Celery task works through them. Every row is one service call in its
own transaction: a good row is kept, a bad row is rolled back whole and listed with the
reason. Progress is saved as it goes, so a task that is run twice (or restarted after a crash)
continues where the last one stopped and changes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

import tablib
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from inventory.models import ImportJob, ImportKind, ImportStatus, Product, Warehouse
from inventory.services.catalogue import product_upsert
from inventory.services.stock import stock_count
from oms.errors import OmsError, ValidationFailed

logger = logging.getLogger(__name__)

MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
PROGRESS_EVERY = 25
STALE_AFTER = timedelta(minutes=5)

COLUMNS = {
    ImportKind.PRODUCTS: {
        "required": ["sku", "name", "list_price"],
        "optional": ["vat_category", "weight_grams", "barcode", "description", "active"],
    },
    ImportKind.STOCK_COUNTS: {"required": ["sku", "warehouse", "counted"], "optional": ["reference"]},
}


def import_job_create(*, kind: str, file_name: str, content: bytes, user) -> ImportJob:
    """Check an uploaded CSV (comma or semicolon) or XLSX file and queue it for import.

    Raises ``ValidationFailed`` (field ``file``) for an unreadable file, missing columns, no
    rows or too many rows; nothing is stored then. The worker task is queued after commit.
    """
    if kind not in ImportKind.values:
        raise ValidationFailed("Unknown import kind.", field="kind")
    if len(content) > MAX_BYTES:
        raise ValidationFailed("The file is larger than 5 MB; split it.", code="file_too_large", field="file")
    rows = _parse(file_name, content, kind)
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind, file_name=file_name[:200], rows=rows, total_rows=len(rows), created_by=user
        )
        transaction.on_commit(partial(_queue, job.pk))
    return job


def _queue(job_id: int) -> None:
    from inventory.tasks import import_job_run as import_job_run_task

    try:
        import_job_run_task.apply_async(args=[job_id], retry=True)
    except Exception as exc:  # broker unreachable: do the work here rather than leave it waiting
        logger.warning("import job %s: broker unavailable (%s); running inline", job_id, exc)
        import_job_run(job_id=job_id)


def _parse(file_name: str, content: bytes, kind: str) -> list[dict]:
    dataset = _load(file_name, content)
    headers = [str(h or "").strip().lower().replace(" ", "_") for h in (dataset.headers or [])]
    missing = [c for c in COLUMNS[kind]["required"] if c not in headers]
    if missing:
        raise ValidationFailed(
            "Missing column(s): " + ", ".join(missing) + ". The first row must name the columns.",
            code="missing_columns",
            field="file",
        )
    wanted = set(COLUMNS[kind]["required"]) | set(COLUMNS[kind]["optional"])
    rows = [
        {h: _cell(value) for h, value in zip(headers, raw, strict=False) if h in wanted}
        for raw in dataset
        if any(_cell(value) for value in raw)
    ]
    if not rows:
        raise ValidationFailed("The file has no rows below the header.", code="empty_file", field="file")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"At most {MAX_ROWS:,} rows per file.", code="too_many_rows", field="file")
    return rows


def _load(file_name: str, content: bytes) -> tablib.Dataset:
    name = file_name.lower()
    try:
        if name.endswith(".xlsx"):
            return tablib.Dataset().load(content, format="xlsx")
        if name.endswith(".csv") or name.endswith(".txt"):
            text = content.decode("utf-8-sig")
            first = text.split("\n", 1)[0]
            delimiter = ";" if first.count(";") > first.count(",") else ","
            return tablib.Dataset().load(text, format="csv", delimiter=delimiter)
    except UnicodeDecodeError as exc:
        raise ValidationFailed("Save the CSV file as UTF-8.", code="bad_encoding", field="file") from exc
    except Exception as exc:  # tablib/openpyxl raise many kinds for a damaged file
        raise ValidationFailed("The file could not be read.", code="unreadable_file", field="file") from exc
    raise ValidationFailed("Upload a .csv or .xlsx file.", code="unsupported_file", field="file")


def _cell(value) -> str:
    """Every cell as text; spreadsheets give numbers as floats (a barcode as 8712345678906.0)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


# --- the worker side ----------------------------------------------------------------------------


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Process the rows of an import job not yet processed. Safe to run twice: a job is claimed
    with a conditional UPDATE (a running job only when its last progress is stale)."""
    if not _claim(job_id):
        return None
    job = ImportJob.objects.get(pk=job_id)
    process = _product_row if job.kind == ImportKind.PRODUCTS else _count_row
    context = {"user": job.created_by, "job": job, "warehouses": {}}
    ok, errors = job.ok_rows, list(job.errors)
    for index in range(job.processed_rows, job.total_rows):
        row = job.rows[index]
        try:
            process(row, context)
            ok += 1
        except (OmsError, ValueError, DataError, IntegrityError) as exc:
            errors.append(_error_entry(index, row, exc))
        if (index + 1) % PROGRESS_EVERY == 0:
            _save_progress(job_id, index + 1, ok, errors)
    _save_progress(job_id, job.total_rows, ok, errors, done=True)
    return ImportJob.objects.get(pk=job_id)


def _claim(job_id: int) -> bool:
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, updated_at=now
    )
    if not claimed:  # a worker that died mid-way leaves a running job with stale progress
        claimed = ImportJob.objects.filter(
            pk=job_id, status=ImportStatus.RUNNING, updated_at__lt=now - STALE_AFTER
        ).update(updated_at=now)
    return bool(claimed)


def _save_progress(job_id: int, processed: int, ok: int, errors: list, *, done: bool = False) -> None:
    fields = {"processed_rows": processed, "ok_rows": ok, "errors": errors, "updated_at": timezone.now()}
    if done:
        fields.update(status=ImportStatus.DONE, finished_at=timezone.now())
    ImportJob.objects.filter(pk=job_id).update(**fields)


def _error_entry(index: int, row: dict, exc: Exception) -> dict:
    field = getattr(exc, "field", None)
    message = getattr(exc, "message", None) or "This row could not be saved."
    if hasattr(exc, "errors"):
        message = "; ".join(e.message for e in exc.errors)
    return {"line": index + 2, "sku": row.get("sku", ""), "field": field or "", "message": message}


def _product_row(row: dict, context: dict) -> None:
    product_upsert(
        sku=row.get("sku", ""),
        name=row.get("name", ""),
        list_price=row.get("list_price", "").replace(",", "."),
        vat_category=(row.get("vat_category") or "high").lower(),
        weight_grams=_int(row.get("weight_grams") or "0", "weight_grams"),
        barcode=row.get("barcode") or None,
        description=row.get("description", ""),
        active=(row.get("active") or "yes").lower() in ("1", "true", "yes", "y", "ja", "j"),
        user=context["user"],
    )


def _count_row(row: dict, context: dict) -> None:
    product_id = Product.objects.filter(sku=row.get("sku", "")).values_list("id", flat=True).first()
    if product_id is None:
        raise ValidationFailed(f"No product with SKU '{row.get('sku', '')}'.", code="unknown_sku", field="sku")
    code = row.get("warehouse", "").upper()
    warehouses = context["warehouses"]
    if code not in warehouses:
        warehouses[code] = Warehouse.objects.filter(code=code).values_list("id", flat=True).first()
    if warehouses[code] is None:
        raise ValidationFailed(f"No warehouse with code '{code}'.", code="unknown_warehouse", field="warehouse")
    stock_count(
        product_id=product_id,
        warehouse_id=warehouses[code],
        counted=_int(row.get("counted", ""), "counted"),
        user=context["user"],
        reference=row.get("reference") or f"import #{context['job'].pk}",
    )


def _int(text: str, field: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError as exc:
        raise ValidationFailed(f"'{text}' is not a whole number.", code="invalid", field=field) from exc
