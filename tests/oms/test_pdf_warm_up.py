"""A Celery worker loads the PDF engine and its fonts when it starts, before it takes work, so
that its first invoice or pick list is as quick as the next; a web process never does."""

import subprocess

import pytest

from oms.pdf import WARM_UP_HTML, html_to_pdf
from tests.support.celery_worker import Worker, new_queue
from tests.support.pdf import pdf_text
from tests.support.processes import printed_by_new_process
from tests.support.services import redis_url


def test_the_warm_up_document_is_a_real_pdf_with_the_documents_fonts(tmp_path):
    data = html_to_pdf(WARM_UP_HTML)
    assert data.startswith(b"%PDF") and "Factuur € 1.234,50" in pdf_text(data)
    (tmp_path / "warm.pdf").write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "warm.pdf")], capture_output=True, text=True, check=True).stdout
    assert all(f"+DejaVu-Sans{face} " in fonts for face in ("", "-Bold", "-Oblique", "-Mono-Bold")), fonts


@pytest.mark.django_db
@pytest.mark.redis
@pytest.mark.worker
def test_a_worker_warms_up_the_pdf_engine_before_it_is_ready():
    worker = Worker(new_queue(), redis_url(), warm_up=True).start()
    worker.stop()
    lines = worker.log
    warmed = [index for index, line in enumerate(lines) if "PDF engine warmed up in" in line]
    ready = [index for index, line in enumerate(lines) if " ready." in line]
    assert warmed and ready and warmed[0] < ready[0], "".join(lines[-40:])


def test_a_web_process_does_not_load_the_pdf_engine():
    # every URL's view imported, as a web process does when it serves its first request
    code = (
        "import sys, django; django.setup(); import oms.celery, oms.wsgi; "
        "from django.urls import get_resolver; get_resolver().url_patterns; "
        "print('weasyprint' in sys.modules)"
    )
    assert printed_by_new_process(code)[-1] == "False"
