"""CSV/XLSX imports: good rows kept, bad rows listed with the reason, no row half-written."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import ImportJob, ImportStatus, Product, StockMovement
from inventory.services import import_job_create, import_job_run
from tests.factories.inventory import ProductFactory, WarehouseFactory, level, stock
from tests.inventory.hostile_files import bomb, xlsx

pytestmark = pytest.mark.django_db

PRODUCTS_CSV = (
    "sku;name;list_price;vat_category;weight_grams;barcode;active\n"
    "IMP-1;Teapot;12,50;high;800;8712345678906;yes\n"
    "IMP-2;Cookbook;19.95;low;500;;yes\n"
    "IMP-3;Bad price;twelve;high;10;;yes\n"
    "IMP-4;Bad barcode;1.00;high;10;8712345678900;yes\n"
    ";No SKU;1.00;high;10;;yes\n"
    "IMP-5;Old mug;2.00;zero;0;;no\n"
)


def upload(client, kind: str, name: str, content: bytes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("inventory:import"), {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_import_products_keeps_good_rows_and_lists_bad_ones(role_client, django_capture_on_commit_callbacks):
    # given
    WarehouseFactory(code="AMS")
    client = role_client("warehouse")
    # when
    response = upload(client, "products", "products.csv", PRODUCTS_CSV.encode(), django_capture_on_commit_callbacks)
    # then: the worker (inline in tests) processed every row
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("inventory:import_detail", args=[job.pk])
    assert (job.status, job.total_rows, job.processed_rows, job.ok_rows) == (ImportStatus.DONE, 6, 6, 3)
    assert [(e["line"], e["field"]) for e in job.errors] == [(4, "list_price"), (5, "barcode"), (6, "sku")]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["IMP-1", "IMP-2", "IMP-5"]
    teapot = Product.objects.get(sku="IMP-1")
    assert (str(teapot.list_price), teapot.barcode, teapot.weight_grams) == ("12.50", "8712345678906", 800)
    assert not Product.objects.get(sku="IMP-5").active
    # the report page shows the bad rows, and stops polling
    page = client.get(response["Location"]).content.decode()
    assert "6 of 6 rows processed: 3 saved, 3 with errors." in page
    assert page.count('data-testid="import-error"') == 3 and "Not a valid EAN-13 barcode" in page
    assert 'hx-trigger="every 1s"' not in page


def test_import_stock_counts_from_xlsx(role_client, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    # given: MUG has 10 on hand of which 4 reserved
    ams = WarehouseFactory(code="AMS")
    mug, cup = ProductFactory(sku="MUG"), ProductFactory(sku="CUP")
    stock(mug, ams, 10, reserved=4)
    book = Workbook()
    sheet = book.active
    for row in [
        ("SKU", "Warehouse", "Counted"),
        ("MUG", "ams", 7),
        ("CUP", "AMS", 3),
        ("MUG", "AMS", 2),
        ("NOPE", "AMS", 1),
        ("CUP", "XXX", 1),
        ("CUP", "AMS", "many"),
    ]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    # when
    upload(
        role_client("warehouse"), "stock_counts", "count.xlsx", buffer.getvalue(), django_capture_on_commit_callbacks
    )
    # then
    job = ImportJob.objects.get()
    assert job.ok_rows == 2
    assert [(e["line"], e["field"]) for e in job.errors] == [
        (4, "counted"),
        (5, "sku"),
        (6, "warehouse"),
        (7, "counted"),
    ]
    assert (level(mug, ams).on_hand, level(cup, ams).on_hand) == (7, 3)
    assert StockMovement.objects.filter(kind="count", reference=f"import #{job.pk}").count() == 2


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("p.csv", b"sku,name\nA,B\n", "Missing column(s): list_price."),
        ("p.csv", b"sku,name,list_price\n", "The file has no rows below the header."),
        ("p.pdf", b"%PDF", "Upload a .csv or .xlsx file."),
        ("p.xlsx", b"not a spreadsheet", "The file could not be read."),
        ("p.csv", "sku,name,list_price\nA,\xe9,1\n".encode("latin-1"), "Save the CSV file as UTF-8."),
    ],
)
def test_import_refuses_unreadable_files_up_front(role_client, name, content, message):
    response = role_client("warehouse").post(
        reverse("inventory:import"), {"kind": "products", "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_import_job_run_twice_changes_nothing_twice(make_user, django_capture_on_commit_callbacks):
    WarehouseFactory(code="AMS")
    job = import_job_create(kind="products", file_name="p.csv", content=PRODUCTS_CSV.encode(), user=make_user())
    assert import_job_run(job_id=job.pk).ok_rows == 3
    assert import_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.ok_rows, len(job.errors)) == (3, 3)


def test_import_progress_fragment_polls_while_the_job_runs(role_client):
    job = ImportJob.objects.create(kind="products", file_name="p.csv", total_rows=200, processed_rows=50)
    url = reverse("inventory:import_detail", args=[job.pk])
    fragment = role_client("warehouse").get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'hx-trigger="every 1s"' in fragment and 'aria-valuenow="25"' in fragment


# --- hostile files (issue 14 §2) ----------------------------------------------------------------


def test_the_request_only_stores_the_file_and_the_worker_reads_it(role_client):
    # no on-commit callbacks run: what the request itself did
    response = role_client("warehouse").post(
        reverse("inventory:import"), {"kind": "products", "file": SimpleUploadedFile("p.xlsx", xlsx(rows=3))}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert (job.status, job.total_rows, job.rows, bytes(job.content)[:2]) == (ImportStatus.PENDING, 0, [], b"PK")
    page = role_client("warehouse").get(response["Location"]).content.decode()
    assert "Reading the file" in page and 'hx-trigger="every 1s"' in page
    # the worker reads it, imports it and drops the file
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.total_rows, job.ok_rows, bytes(job.content)) == (ImportStatus.DONE, 3, 3, b"")


@pytest.mark.parametrize(
    "content,message",
    [
        (bomb(204), "The spreadsheet unpacks to 204 MB, more than the 30 MB allowed; split it."),
        (xlsx(long_cell=100 * 1024 * 1024), "The spreadsheet unpacks to 100 MB, more than the 30 MB allowed"),
        (xlsx(rows=300_000), "The spreadsheet unpacks to 53 MB, more than the 30 MB allowed"),
    ],
    ids=["204MB-bomb", "100MB-cell", "300k-rows"],
)
def test_an_xlsx_that_unpacks_too_large_is_refused_before_it_is_parsed(role_client, content, message):
    assert len(content) < 5 * 1024 * 1024
    response = role_client("warehouse").post(
        reverse("inventory:import"), {"kind": "products", "file": SimpleUploadedFile("big.xlsx", content)}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "content,message",
    [
        (xlsx(rows=20_001), "At most 20,000 rows per file."),
        (xlsx(long_cell=6_000), "Line 2: a cell is longer than 5,000 characters."),
    ],
    ids=["20001-rows", "long-cell"],
)
def test_the_worker_refuses_a_file_with_too_many_rows_or_a_too_long_cell_whole(
    role_client, make_user, content, message
):
    job = import_job_create(kind="products", file_name="p.xlsx", content=content, user=make_user())
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportStatus.FAILED and job.errors[0]["message"] == message
    assert not Product.objects.exists() and bytes(job.content) == b""
    page = role_client("warehouse").get(reverse("inventory:import_detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-refused"' in page and message in page and 'hx-trigger="every 1s"' not in page


def test_a_nul_in_a_csv_cell_is_that_rows_error(make_user, django_capture_on_commit_callbacks):
    content = b"sku,name,list_price\nN-1,Good,1.00\nN-2,Bad\x00name,1.00\nN-3,Fine,2.00\n"
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(kind="products", file_name="p.csv", content=content, user=make_user())
    job.refresh_from_db()
    assert (job.status, job.ok_rows) == (ImportStatus.DONE, 2)
    assert [(e["line"], e["sku"], e["field"]) for e in job.errors] == [(3, "N-2", "name")]
    assert "control character (U+0000)" in job.errors[0]["message"]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["N-1", "N-3"]
