import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.services import require


def pdf_text(data: bytes) -> str:
    """The text of a PDF as ``pdftotext -layout`` reads it (skips/fails without poppler-utils)."""
    require(None if shutil.which("pdftotext") else "pdftotext not installed (apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return result.stdout
