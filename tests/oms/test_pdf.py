from django.template import Context, Template

from oms.pdf import html_to_pdf
from tests.support.pdf import pdf_text


def test_pdf_uses_local_static_files_and_keeps_text():
    html = Template(
        '<html><head><link rel="stylesheet" href="/static/css/oms.css"></head>'
        "<body><h1>Factuur 2026-000001</h1><p>{{ amount|money }}</p></body></html>"
    ).render(Context({"amount": "1234.5"}))
    data = html_to_pdf(html)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Factuur 2026-000001" in text and "€ 1.234,50" in text


def test_remote_urls_are_not_fetched():
    data = html_to_pdf('<img src="https://example.com/x.png"><p>still rendered</p>')
    assert "still rendered" in pdf_text(data)
