"""Static files in production: a ``collectstatic`` takes effect without restarting the web server.

With hashed file names (the manifest storage) a deploy that changes ``oms.css`` writes a new
``css/oms.<hash>.css`` and a new ``staticfiles.json``. A running process would still link the old
name (Django reads the manifest once) and WhiteNoise would not serve the new file (it indexes
``STATIC_ROOT`` once, at start-up; its ``autorefresh`` mode rescans on every request and is meant
for development only). So:

* ``ManifestStaticFilesStorage`` reads the manifest again when its modification time changed
  (one ``stat`` at most once a second), so pages link the new names;
* ``WhiteNoiseMiddleware`` looks a static URL missing from its index up in ``STATIC_ROOT`` and
  keeps what it finds. Hashed names never change content, so what it keeps stays right; the
  old files stay too, for pages still open in a browser.
"""

from __future__ import annotations

import os
import time

from whitenoise.middleware import WhiteNoiseMiddleware as BaseWhiteNoiseMiddleware
from whitenoise.responders import MissingFileError
from whitenoise.storage import CompressedManifestStaticFilesStorage

MANIFEST_CHECK_SECONDS = 1.0


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        self._manifest_checked = time.monotonic()
        self._manifest_mtime = None
        super().__init__(*args, **kwargs)
        self._manifest_mtime = self._manifest_stat()

    def _manifest_stat(self) -> int | None:
        try:
            return os.stat(self.path(self.manifest_name)).st_mtime_ns
        except (OSError, ValueError):
            return None

    def _reload_if_changed(self) -> None:
        now = time.monotonic()
        if now - self._manifest_checked < MANIFEST_CHECK_SECONDS:
            return
        self._manifest_checked = now
        mtime = self._manifest_stat()
        if mtime is not None and mtime != self._manifest_mtime:
            self._manifest_mtime = mtime
            self.hashed_files, self.manifest_hash = self.load_manifest()

    def stored_name(self, name):
        self._reload_if_changed()
        return super().stored_name(name)


class WhiteNoiseMiddleware(BaseWhiteNoiseMiddleware):
    def __call__(self, request):
        url = request.path_info
        if not self.autorefresh and self.static_root and url not in self.files and url.startswith(self.static_prefix):
            static_file = self._find_collected(url)
            if static_file is not None:
                self.files[url] = static_file
        return super().__call__(request)

    def _find_collected(self, url: str):
        """The file a later ``collectstatic`` put in ``STATIC_ROOT`` for ``url``, or None."""
        root = os.path.abspath(self.static_root).rstrip(os.path.sep) + os.path.sep
        path = os.path.join(root, url[len(self.static_prefix) :])
        if not self.url_is_canonical(url) or not self.path_is_child_of(path, root) or not os.path.isfile(path):
            return None
        try:
            return self.find_file_at_path(path, url)
        except MissingFileError:  # also a directory
            return None
