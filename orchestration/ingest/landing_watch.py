"""A cheap fingerprint of the landing folder (names, sizes, modification times; no file is read)."""

import hashlib
from pathlib import Path


def landing_fingerprint(landing: Path) -> str | None:
    if not landing.is_dir():
        return None
    files = sorted(p for p in landing.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(landing)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]
