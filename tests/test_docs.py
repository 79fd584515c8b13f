"""The documentation cannot rot silently: every relative link in README.md and docs/*.md leads to
a file (and heading) that exists, the README stays a front page, and every setting the service
reads is documented in docs/configuration.md and .env.example."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 150

# [text](target) and [text](target "title"), not images' alt text alone; and <a href="...">.
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HREF = re.compile(r"""(?:href|src)=["']([^"']+)["']""")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _without_code(text: str) -> str:
    """Markdown without its fenced code blocks and inline code, where brackets are not links."""
    text = _FENCE.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to -."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -")
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text())):
        base = _anchor(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchors.add(base if count == 0 else f"{base}-{count}")
    return anchors


def _relative_links() -> list[tuple[Path, str]]:
    links = []
    for page in PAGES:
        text = _without_code(page.read_text())
        for target in _LINK.findall(text) + _HREF.findall(text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
                continue
            links.append((page, target))
    return links


def _problem(page: Path, target: str) -> str | None:
    path_part, _, fragment = target.partition("#")
    destination = (page.parent / unquote(path_part)).resolve() if path_part else page
    try:
        name = destination.relative_to(ROOT).as_posix()
    except ValueError:
        return "leads outside the repository"
    if not destination.exists():
        return f"{name} does not exist"
    if fragment and destination.suffix == ".md" and fragment not in _anchors(destination):
        return f"{name} has no heading #{fragment}"
    return None


def test_the_link_checker_sees_links_and_anchors():
    assert len(_relative_links()) > 30
    assert _anchor("Idempotency: safe retries") == "idempotency-safe-retries"
    assert _anchor("Rotating the built-in provider's signing key") == (
        "rotating-the-built-in-providers-signing-key"
    )
    assert _anchor("`/metrics` and its token") == "metrics-and-its-token"


def test_every_relative_link_resolves():
    problems = [
        f"{page.relative_to(ROOT)}: ({target}) {problem}"
        for page, target in _relative_links()
        if (problem := _problem(page, target)) is not None
    ]
    assert problems == []


def test_the_readme_is_a_front_page():
    assert len((ROOT / "README.md").read_text().splitlines()) <= README_MAX_LINES


def test_every_docs_page_is_on_the_readme_map():
    readme = (ROOT / "README.md").read_text()
    unlisted = [p.name for p in PAGES[1:] if f"(docs/{p.name})" not in readme]
    assert unlisted == []


def test_mermaid_diagrams_avoid_what_breaks_them():
    """A full Mermaid parse needs a browser; these are the mistakes that broke ours: a block
    that does not start with its diagram type, and a `;` in a sequence diagram, which ends the
    statement there (GitHub then shows a syntax error instead of the diagram)."""
    problems = []
    for page in PAGES:
        for block in re.findall(r"^```mermaid\n(.*?)^```", page.read_text(), re.M | re.S):
            kind = block.split(None, 1)[0]
            if kind not in {
                "flowchart",
                "graph",
                "sequenceDiagram",
                "stateDiagram-v2",
                "erDiagram",
            }:
                problems.append(f"{page.name}: unknown diagram type {kind}")
            if kind == "sequenceDiagram" and ";" in block:
                problems.append(f"{page.name}: ';' in a sequence diagram")
    assert problems == []
