"""Python code run in a process of its own, as a web process starts (base settings, DEBUG off)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def printed_by_new_process(code: str) -> list[str]:
    """The lines ``python -c code`` prints in a new process at the project's root; the test fails
    with the process's error output if it does not end well."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "oms.settings.base", "DEBUG": "false"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()
