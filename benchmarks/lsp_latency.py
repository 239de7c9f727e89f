"""Editor latency of `memlint server`: from `didChange` to `publishDiagnostics`, one file.

Run from the project's virtualenv (the `dev` or `lsp` extra installs pygls):

    python benchmarks/lsp_latency.py [--runs 20] [--lines 2000] [--file PATH]

The server is started once, as an editor starts it, on a generated 2,000-line module (the
one benchmarks/single_file_latency.py times, with findings for MEM201 and MEM202) or on
`--file`. After the document is opened and its first diagnostics arrive (which includes
starting the analysis process), each run sends one incremental change (a digit of a
constant near the end, edited back and forth) and waits for the diagnostics of that
version. Runs wait for each other, as a person who types one character and pauses does,
so each time is the debounce plus one analysis plus the messages. The median of `--runs`
is printed with the range, next to the engine's own time on the same text in this
process, so what the server adds to the engine can be read off. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.single_file_latency import generate  # noqa: E402
from tests.lsp_client import LspClient  # noqa: E402


def engine_seconds(text: str, path: Path, runs: int) -> float:
    """The median time of `lint_source` alone on `text`, in this process, after a warm-up."""
    from memlint import engine
    from memlint.settings import Settings

    settings = Settings(root=str(path.parent))
    engine.lint_source(text, str(path), settings)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        engine.lint_source(text, str(path), settings)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def edit_position(text: str) -> tuple[int, int]:
    """(line, character) of the last digit on the last line that has one: a safe edit."""
    lines = text.split("\n")
    for number in range(len(lines) - 1, -1, -1):
        digits = [i for i, char in enumerate(lines[number]) if char.isdigit()]
        if digits:
            return number, digits[-1]
    raise SystemExit("the file has no digit to edit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed changes (default 20)")
    parser.add_argument("--lines", type=int, default=2000, help="size of the generated file")
    parser.add_argument("--file", type=Path, help="benchmark this file instead of a generated one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "service.py"
        text = args.file.read_text(encoding="utf-8") if args.file else generate(args.lines)
        target.write_text(text, encoding="utf-8")
        # An empty config beside the file keeps the server from reading the caller's.
        (Path(folder) / ".memlint.toml").write_text("")
        uri = target.as_uri()
        line, character = edit_position(text)
        original = text.split("\n")[line][character]
        client = LspClient([sys.executable, "-m", "memlint", "server"], cwd=Path(folder))
        try:
            client.initialize(Path(folder))
            client.open(uri, text)
            findings = len(client.diagnostics(uri, 1, timeout=300))
            times = []
            for version in range(2, args.runs + 2):
                digit = original if version % 2 else str((int(original) + 1) % 10)
                span = {
                    "start": {"line": line, "character": character},
                    "end": {"line": line, "character": character + 1},
                }
                start = time.perf_counter()
                client.change(uri, version, [{"range": span, "text": digit}])
                client.diagnostics(uri, version, timeout=300)
                times.append(time.perf_counter() - start)
            client.shutdown()
        finally:
            client.close()
        engine = engine_seconds(text, target, max(3, args.runs // 4))

    from memlint.server.app import DEBOUNCE_SECONDS

    size = text.count("\n")
    print(f"{target.name}: {size} lines, {findings} findings; {args.runs} changes")
    print(f"didChange -> publishDiagnostics: median {statistics.median(times) * 1000:.0f} ms")
    print(f"  (min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms)")
    print(f"  of which debounce {DEBOUNCE_SECONDS * 1000:.0f} ms")
    print(f"engine.lint_source alone, same text: median {engine * 1000:.0f} ms")


if __name__ == "__main__":
    main()
