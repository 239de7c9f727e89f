"""The MkDocs site: it builds with no warning, and the code its pages give works."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from memlint import DOCS_URL, rule_url
from memlint.catalog import RULES
from tests.test_cli import LRU, check, project, write

__all__ = ["project"]  # the fixture, used by name

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_mkdocs_build_strict_passes(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    for info in RULES:
        assert (tmp_path / "rules" / info.code / "index.html").exists()


def test_rule_help_links_point_at_the_site() -> None:
    # mkdocs.yml is generated (and checked for staleness) from the same DOCS_URL.
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
    assert config["site_url"] == DOCS_URL
    assert rule_url("MEM201") == f"{DOCS_URL}rules/MEM201/"


def test_every_page_is_in_the_navigation() -> None:
    text = (ROOT / "mkdocs.yml").read_text("utf-8")
    listed = set(re.findall(r": ([\w/.-]+\.md)$", text, re.MULTILINE))
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert listed == pages


def test_the_gitlab_code_quality_script_converts_memlint_json(project: Path) -> None:
    page = (DOCS / "ci.md").read_text("utf-8")
    script = re.search(r"```python\n(.*?)```", page, re.DOTALL)
    assert script is not None
    write("memlint_codequality.py", script.group(1))
    write("a.py", LRU + "\n\n" + LRU.split("\n", 2)[2])  # the same finding twice
    # memlint passes the script too: it reads a small report, and says so in a `noqa`.
    assert check("memlint_codequality.py").exit_code == 0
    write("memlint.json", check("--format", "json", "a.py").stdout)
    subprocess.run(
        [sys.executable, "memlint_codequality.py", "memlint.json", "report.json"],
        check=True,
        timeout=60,
    )
    report = json.loads(Path("report.json").read_text("utf-8"))
    assert [(r["check_name"], r["location"]) for r in report] == [
        ("MEM201", {"path": "a.py", "lines": {"begin": 3}}),
        ("MEM201", {"path": "a.py", "lines": {"begin": 8}}),
    ]
    assert len({r["fingerprint"] for r in report}) == 2
    assert {r["severity"] for r in report} == {"minor"}
    assert report[0]["description"].startswith("MEM201 `functools.lru_cache(maxsize=None)`")
