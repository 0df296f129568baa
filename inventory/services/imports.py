"""CSV/XLSX imports of products and of stock counts, read and processed by a worker.

The request only checks what is cheap and bounded (the kind, the size, the extension; for a CSV
its encoding and header line; for an XLSX the zip's directory, whose declared sizes cap what
may ever be unpacked) and stores the file on an ``ImportJob``. A Celery task reads the file as
a stream (``openpyxl`` read-only mode, Python's ``csv``), refusing the whole file past
``MAX_ROWS`` rows or with a cell over ``MAX_CELL_CHARS`` characters (status ``failed``, nothing
imported), then works through the rows. Every row is one service call in its own transaction:
a good row is kept, a bad row is rolled back whole and listed with the reason. Progress is saved
as it goes, so a task that is run twice (or restarted after a crash) continues where the last
one stopped and changes nothing twice.

Why the caps (issue 14 §2): a 694 KB XLSX unpacked to a 204 MB sheet, 300,000 rows and a
100 MB cell each took a web worker down when the file was parsed in the request.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from functools import partial

from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from inventory.models import ImportJob, ImportKind, ImportStatus, Product, Warehouse
from inventory.services.catalogue import product_upsert
from inventory.services.stock import stock_count
from oms.errors import OmsError, ValidationFailed
from oms.input_guard import bad_char
from oms.tasks_registry import task_named

logger = logging.getLogger(__name__)

MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
# What an XLSX may unpack to, all parts together (20,000 rows of a dozen columns is under 10 MB).
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_CELL_CHARS = 5_000
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
    """Check an uploaded CSV (comma or semicolon) or XLSX file cheaply and queue it for the
    worker, which reads it.

    Raises ``ValidationFailed`` (field ``file``) for a file too large (as uploaded or as it
    would unpack), not a spreadsheet, not UTF-8, or (CSV) missing columns or rows; nothing is
    stored then. The worker task is queued after commit.
    """
    if kind not in ImportKind.values:
        raise ValidationFailed("Unknown import kind.", field="kind")
    if len(content) > MAX_BYTES:
        raise ValidationFailed("The file is larger than 5 MB; split it.", code="file_too_large", field="file")
    _check_upfront(file_name.lower(), content, kind)
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, file_name=file_name[:200], content=content, created_by=user)
        transaction.on_commit(partial(_queue, job.pk))
    return job


def _queue(job_id: int) -> None:
    try:
        task_named("inventory.tasks.import_job_run").apply_async(args=[job_id], retry=True)
    except Exception as exc:  # broker unreachable: do the work here rather than leave it waiting
        logger.warning("import job %s: broker unavailable (%s); running inline", job_id, exc)
        import_job_run(job_id=job_id)


def _check_upfront(name: str, content: bytes, kind: str) -> None:
    if name.endswith(".xlsx"):
        _check_zip(content)
    elif name.endswith((".csv", ".txt")):
        text = _decode(content)
        header, _, rest = text.partition("\n")
        _check_headers(next(csv.reader([header], delimiter=_delimiter(header))), kind)
        if not rest.strip():
            raise ValidationFailed("The file has no rows below the header.", code="empty_file", field="file")
    else:
        raise ValidationFailed("Upload a .csv or .xlsx file.", code="unsupported_file", field="file")


def _check_zip(content: bytes) -> None:
    """An XLSX is a zip: its directory says what each part unpacks to, and ``zipfile`` never
    unpacks more than that, so the sum bounds the work before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ValidationFailed("The file could not be read.", code="unreadable_file", field="file") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationFailed(
            f"The spreadsheet unpacks to {unpacked // (1024 * 1024)} MB, more than the "
            f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB allowed; split it.",
            code="file_too_large",
            field="file",
        )


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("Save the CSV file as UTF-8.", code="bad_encoding", field="file") from exc


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _headers(raw) -> list[str]:
    return [str(h or "").strip().lower().replace(" ", "_")[:100] for h in raw]


def _check_headers(raw, kind: str) -> list[str]:
    headers = _headers(raw)
    missing = [c for c in COLUMNS[kind]["required"] if c not in headers]
    if missing:
        raise ValidationFailed(
            "Missing column(s): " + ", ".join(missing) + ". The first row must name the columns.",
            code="missing_columns",
            field="file",
        )
    return headers


# --- the worker reads the file ------------------------------------------------------------------


def _read_rows(job: ImportJob) -> list[dict]:
    """The file's rows as dicts of the wanted columns, read as a stream. Raises
    ``ValidationFailed`` for the file as a whole (too many rows, a cell too long, unreadable)."""
    content, name = bytes(job.content), job.file_name.lower()
    raw_rows = _xlsx_rows(content) if name.endswith(".xlsx") else _csv_rows(content)
    try:
        headers = _check_headers(next(raw_rows, []), job.kind)
        wanted = set(COLUMNS[job.kind]["required"]) | set(COLUMNS[job.kind]["optional"])
        rows: list[dict] = []
        for line, raw in enumerate(raw_rows, start=2):
            cells = [_cell(value, line) for value in raw]
            if not any(cells):
                continue
            if len(rows) == MAX_ROWS:
                raise ValidationFailed(f"At most {MAX_ROWS:,} rows per file.", code="too_many_rows", field="file")
            rows.append(_row(headers, cells, wanted, line))
    except ValidationFailed:
        raise
    except Exception as exc:  # openpyxl and csv raise many kinds for a damaged file
        logger.info("import job %s: unreadable file (%s)", job.pk, exc)
        raise ValidationFailed("The file could not be read.", code="unreadable_file", field="file") from exc
    if not rows:
        raise ValidationFailed("The file has no rows below the header.", code="empty_file", field="file")
    return rows


def _row(headers: list[str], cells: list[str], wanted: set[str], line: int) -> dict:
    """The row as stored for processing; a row with a control character is stored as its
    error (PostgreSQL's JSON cannot even hold a NUL) and listed when its turn comes."""
    row = {h: value for h, value in zip(headers, cells, strict=False) if h in wanted}
    for header, value in row.items():
        found = bad_char(value)
        if found is not None:
            message = f"Contains a control character ({found}), which is not allowed."
            return {
                "__error__": message,
                "__field__": header,
                "sku": "" if bad_char(row.get("sku", "")) else row.get("sku", ""),
            }
    return row


def _xlsx_rows(content: bytes) -> Iterator[tuple]:
    from openpyxl import load_workbook

    _check_zip(content)  # again: the worker never trusts what the request checked
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    text = _decode(content)
    yield from csv.reader(io.StringIO(text), delimiter=_delimiter(text.split("\n", 1)[0]))


def _cell(value, line: int) -> str:
    """Every cell as text; spreadsheets give numbers as floats (a barcode as 8712345678906.0)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    if len(text) > MAX_CELL_CHARS:
        raise ValidationFailed(
            f"Line {line}: a cell is longer than {MAX_CELL_CHARS:,} characters.", code="cell_too_long", field="file"
        )
    return text.strip()


# --- the worker side ----------------------------------------------------------------------------


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Process the rows of an import job not yet processed. Safe to run twice: a job is claimed
    with a conditional UPDATE (a running job only when its last progress is stale)."""
    if not _claim(job_id):
        return None
    job = ImportJob.objects.get(pk=job_id)
    if not job.total_rows and not _read_job(job):
        return ImportJob.objects.get(pk=job_id)
    process = _product_row if job.kind == ImportKind.PRODUCTS else _count_row
    context = {"user": job.created_by, "job": job, "warehouses": {}}
    ok, errors = job.ok_rows, list(job.errors)
    for index in range(job.processed_rows, job.total_rows):
        row = job.rows[index]
        try:
            if "__error__" in row:
                raise ValidationFailed(row["__error__"], code="control_character", field=row["__field__"])
            process(row, context)
            ok += 1
        except (OmsError, ValueError, DataError, IntegrityError) as exc:
            errors.append(_error_entry(index, row, exc))
        if (index + 1) % PROGRESS_EVERY == 0:
            _save_progress(job_id, index + 1, ok, errors)
    _save_progress(job_id, job.total_rows, ok, errors, done=True)
    return ImportJob.objects.get(pk=job_id)


def _read_job(job: ImportJob) -> bool:
    """Read the stored file into rows (the file is then dropped). False when the file as a
    whole is refused: the job is finished as ``failed`` with the reason, nothing imported."""
    try:
        rows = _read_rows(job)
    except ValidationFailed as exc:
        error = {"line": "", "sku": "", "field": "file", "message": exc.message}
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            errors=[error],
            content=b"",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return False
    ImportJob.objects.filter(pk=job.pk).update(rows=rows, total_rows=len(rows), content=b"", updated_at=timezone.now())
    job.rows, job.total_rows = rows, len(rows)
    return True


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
