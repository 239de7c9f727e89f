"""`--format html`: one self-contained page (summary, chart, frames, fix diffs), and how Chromium
renders it."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from tests.test_cli import FLAG_CACHE, LRU, check, project, write

__all__ = ["project"]  # the fixture, used by name

ROOT = Path(__file__).resolve().parent.parent
DEMO = (ROOT / "fixtures" / "demo" / "ingest.py").read_text("utf-8")
COMPREHENSION = "total = sum([x * 2 for x in range(10**6)])\n"
FED_QUEUE = "import queue\n\njobs = queue.Queue()\nfor n in range(3):\n    jobs.put(n)\n"


def report(*args: str) -> str:
    result = check("--format", "html", "--no-cache", "--quiet", *args)
    assert result.stderr == ""
    return result.stdout


def test_the_page_loads_nothing_from_anywhere(project: Path) -> None:
    write("ingest.py", DEMO)
    page = report()
    assert page.startswith("<!DOCTYPE html>\n")
    assert "<script" not in page and "<link" not in page and "url(" not in page
    # Only in-page anchors; the SVG namespace is a name, not an address that is fetched.
    assert re.findall(r'(?:src|href)="([^"#][^"]*)"', page) == []
    assert re.findall(r"https?://[^\s\"'<]+", page) == ["http://www.w3.org/2000/svg"]
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_summary_per_rule_and_confidence_with_a_chart(project: Path) -> None:
    write("ingest.py", DEMO)
    write("sum.py", COMPREHENSION)
    write("fed.py", FED_QUEUE)  # a queue fed in a loop: high confidence
    write("flags.py", FLAG_CACHE)  # a cache of one `bool`: low confidence
    page = report("--min-confidence", "low")
    assert "6 findings in 4 files of 4 files checked" in page
    rows = re.findall(
        r'<tr><td><code>(MEM\d+)</code></td><td>([\w-]+)</td><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td>',
        page,
    )
    assert rows == [
        ("MEM202", "unbounded-queue", "3", "2"),
        ("MEM201", "unbounded-lru-cache", "2", "2"),
        ("MEM404", "materialized-comprehension", "1", "1"),
    ]
    confidences = re.findall(r'<td class="conf-(\w+)">\w+</td><td class="num">(\d+)</td>', page)
    assert confidences == [("high", "1"), ("medium", "4"), ("low", "1")]
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert re.findall(r"<text [^>]*>(MEM\d+)</text>", svg) == ["MEM202", "MEM201", "MEM404"]
    # MEM202's bar is split: one high-confidence finding, two medium.
    assert re.findall(r"<title>(MEM202: \d \w+)</title>", svg) == [
        "MEM202: 1 high",
        "MEM202: 2 medium",
    ]
    # The default threshold holds the low one back.
    assert "5 findings in 3 files of 4 files checked" in report()


def test_each_finding_has_its_code_frame_and_fix_diff(project: Path) -> None:
    write("ingest.py", DEMO)
    page = report()
    assert "<mark>functools.lru_cache(maxsize=None)</mark>" in page
    assert '<span class="n">13</span>@<mark>' in page
    assert '<span class="l del">-@functools.lru_cache(maxsize=None)</span>' in page
    assert '<span class="l add">+@functools.lru_cache(maxsize=1024)</span>' in page
    assert "Pass <code>maxsize=1024</code> (unsafe fix)" in page
    # A finding without a fix shows its advice instead.
    assert "<strong>Help:</strong> Use <code>queue.Queue(maxsize=1000)</code>" in page
    assert page.count('<article class="finding warning">') == 3


def test_safe_fixes_are_labelled_safe(project: Path) -> None:
    write("sum.py", COMPREHENSION)
    page = report()
    assert "(safe fix)</p>" in page
    assert '<span class="l add">+total = sum(x * 2 for x in range(10**6))</span>' in page


def test_code_and_paths_are_escaped(project: Path) -> None:
    write("a<b>.py", 'import queue\nq = queue.Queue(); s = "<script>alert(1)</script>"\n')
    page = report()
    assert "<script" not in page
    assert "a&lt;b&gt;.py" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_undecodable_file_is_reported_without_a_frame(project: Path) -> None:
    write("u.py", b'from functools import lru_cache\nx = "\xff"\n')
    page = report()
    assert "MEM000" in page and "cannot decode" in page
    assert '<pre class="frame">' not in page


def test_a_clean_run_says_so(project: Path) -> None:
    write("a.py", "x = 1\n")
    result = check("--format", "html")
    assert result.exit_code == 0
    assert "No findings: every checked file passed." in result.stdout
    assert "0 findings in 0 files of 1 file checked" in result.stdout


# -- rendered by a real browser ------------------------------------------------------------------

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
WIDTH, HEIGHT = 1280, 1800


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        message = (
            "no Chromium on this machine: the HTML report was not rendered. Install Debian's "
            "`chromium` package (`apt-get install chromium`, as .ci/run does) to run this test"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory(prefix="memlint-chromium-") as profile:
        return subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


def png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the pixel data) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pixels = b""
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            pixels += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return width, height, len(set(zlib.decompress(pixels)))


def test_chromium_renders_the_report_with_no_console_message(project: Path) -> None:
    write("ingest.py", DEMO)
    write("sum.py", COMPREHENSION)
    write("u.py", b'from functools import lru_cache\nx = "\xff"\n')
    write("lru.py", LRU)
    write("fed.py", FED_QUEUE)  # MEM202's bar split in two: high and medium
    page = project / "report.html"
    page.write_text(report(), encoding="utf-8")
    url = page.as_uri()

    shot = project / "report.png"
    rendered = chromium(
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={shot}",
        url,
    )
    assert rendered.returncode == 0, rendered.stderr
    # Every console message (errors, CSP violations, failed loads) is logged as CONSOLE.
    console = [line for line in rendered.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    width, height, colours = png_size_and_colours(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    assert colours > 50  # text, bars and highlights, not a blank page

    dom = chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr
    assert "<h1>memlint report</h1>" in dom.stdout
    assert dom.stdout.count('<article class="finding') == 7
    assert dom.stdout.count("<rect ") == 5
