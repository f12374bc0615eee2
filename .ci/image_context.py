"""Lay out what the Dockerfile's COPY lines put in its WORKDIR, without Docker: DEST gets them.

Usage: python .ci/image_context.py DEST

The build context is the checkout's files as git sees them (tracked, and untracked ones that
are not ignored: .gitignore stands in for .dockerignore), so a build from DEST sees neither
stale build output nor caches, and a file the COPY lines leave out is missing there as it
would be in the image. Only the forms this Dockerfile uses are understood: ``COPY SRC... DEST``
with relative sources and a destination relative to WORKDIR (``./`` or ``./name``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def context_files() -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [p for p in out.split("\0") if p and (ROOT / p).is_file()]


def copies() -> list[tuple[list[str], str]]:
    """Return the ``(sources, destination)`` of each COPY line of the Dockerfile."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in text.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word.upper() != "COPY":
            continue
        args = json.loads(rest) if rest.startswith("[") else rest.split()
        if any(a.startswith("--") for a in args) or len(args) < 2:
            sys.exit(f"unsupported COPY line: {line.strip()}")
        out.append((args[:-1], args[-1]))
    return out


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dest = Path(sys.argv[1]).resolve()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    files = context_files()
    for sources, target in copies():
        base = dest / target.removeprefix("./")
        for src in sources:
            src = src.rstrip("/")
            matched = [f for f in files if f == src or f.startswith(src + "/")]
            if not matched:
                sys.exit(f"COPY {src}: no such file in the build context")
            for f in matched:
                if f == src:  # a file: into the destination folder (or as the named file)
                    to = base / Path(f).name if target.endswith("/") else base
                else:  # a folder: its contents into the destination
                    to = base / f[len(src) + 1 :]
                to.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / f, to)


if __name__ == "__main__":
    main()
