"""The built front-end: the manifest esbuild's build script writes next to the bundle, and the files it names.

File names carry a hash of their content (wall-3F2A9C1B.js), so a browser may keep them for a year: a new
build has new names, and the page, which is never cached, names the new ones. Only files the manifest names
are served, so no request can reach anything else on the disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
# Logical names the page needs; the build script writes each one into the manifest.
APP_SCRIPT = "app.js"
APP_STYLES = "app.css"
MAP_WORKER = "maplibre-worker.js"
REQUIRED = (APP_SCRIPT, APP_STYLES, MAP_WORKER)

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Bundle:
    folder: Path
    # logical name -> hashed file name in `folder`
    files: dict[str, str]

    def url(self, logical: str, prefix: str) -> str:
        return f"{prefix}/{self.files[logical]}"

    def path_of(self, file_name: str) -> Path | None:
        """The file for a hashed name the manifest lists, or None."""
        if file_name not in self._served:
            return None
        path = self.folder / file_name
        return path if path.is_file() else None

    @property
    def _served(self) -> frozenset[str]:
        return frozenset(self.files.values())


_cache: dict[Path, tuple[int, Bundle]] = {}


def load_bundle(folder: Path) -> Bundle | None:
    """The bundle in `folder`, or None when it was never built (or lacks a file the page needs). Read again
    only when the manifest changes, so a rebuild is picked up without a restart."""
    manifest = folder / MANIFEST
    try:
        stamp = manifest.stat().st_mtime_ns
    except OSError:
        return None
    cached = _cache.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(files, dict) or not all(isinstance(files.get(name), str) for name in REQUIRED):
        return None
    bundle = Bundle(folder, {str(k): str(v) for k, v in files.items() if "/" not in str(v)})
    _cache[folder] = (stamp, bundle)
    return bundle


def content_type(file_name: str) -> str:
    return CONTENT_TYPES.get(Path(file_name).suffix, "application/octet-stream")
