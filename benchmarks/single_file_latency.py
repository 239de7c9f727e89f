"""Editor latency: cold process start to output on one 2,000-line file, memlint vs others.

Run from the project's virtualenv:

    python benchmarks/single_file_latency.py [--runs 10] [--lines 2000] [--file PATH]
                                             [--install-missing]

Each tool is started as a new process, as an editor does on save, `--runs` times after one
untimed warm-up run (which only fills the OS file cache); the median wall time is printed
with its ratio to memlint's median from the same run. Caches are off where a tool has one
(`--no-cache`), and flake8 runs `--isolated` (no config files).

flake8 runs every installed plugin and filters the output by `--select` afterwards, so with
memlint installed, `flake8 --select B` includes the time of memlint's plugin too; the row
`flake8 --select B, no MEM` hides memlint's plugin from flake8 (through a private flake8
function, so it is left out when that is missing) to show flake8-bugbear's own latency.
`flake8-bugbear` is not a memlint dependency: without it the `flake8 --select B` row is left
out, unless `--install-missing` installs it into this interpreter's environment.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECTION = '''

class {name}Repository:
    """Rows of `{table}` with a small read-through layer in front of the database."""

    def __init__(self, connection, *, page_size: int = 100) -> None:
        self.connection = connection
        self.page_size = page_size
        self.recent: deque[int] = deque(maxlen=page_size)

    def get(self, key: int) -> dict[str, object] | None:
        row = self.connection.execute(
            "SELECT * FROM {table} WHERE id = ?", (key,)
        ).fetchone()
        if row is None:
            logger.debug("{table} %s not found", key)
            return None
        self.recent.append(key)
        return dict(row)

    def page(self, offset: int = 0) -> list[dict[str, object]]:
        cursor = self.connection.execute(
            "SELECT * FROM {table} ORDER BY id LIMIT ? OFFSET ?",
            (self.page_size, offset),
        )
        return [dict(row) for row in cursor.fetchall()]

    def iter_all(self) -> Iterator[dict[str, object]]:
        offset = 0
        while True:
            rows = self.page(offset)
            if not rows:
                return
            yield from rows
            offset += len(rows)


def summarise_{lower}(rows: Iterable[dict[str, object]]) -> dict[str, int]:
    """Count rows per status; unknown statuses are grouped under `other`."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        status = str(row.get("status", "other"))
        if status not in KNOWN_STATUSES:
            status = "other"
        counts[status] += 1
    return dict(counts)


def export_{lower}(rows: Iterable[dict[str, object]], path: Path) -> int:
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, sort_keys=True))
            out.write("\\n")
            written += 1
    return written


@dataclass(frozen=True)
class {name}Event:
    kind: str
    key: int
    payload: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {{"kind": self.kind, "key": self.key, "payload": dict(self.payload)}}
'''

HEADER = '''"""A generated service module, shaped like real code, for latency benchmarks."""

from __future__ import annotations

import functools
import json
import logging
import queue
import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)
KNOWN_STATUSES = frozenset({"new", "active", "closed"})
'''

# A few findings for every tool: memlint (MEM201, MEM202), bugbear (B006, B008).
FINDINGS = """

@functools.lru_cache(maxsize=None)
def tenant_settings(tenant_id: str) -> dict[str, str]:
    return {"tenant": tenant_id}


def time_now() -> float:
    return 0.0


class Dispatcher:
    def __init__(self, handlers=[]) -> None:
        self.handlers = handlers
        self.inbox: queue.Queue[object] = queue.Queue()
        self.worker = threading.Thread(target=self.run, daemon=True)

    def submit(self, event: object, when: float = time_now()) -> None:
        self.inbox.put(event)

    def run(self) -> None:
        while True:
            event = self.inbox.get()
            for handler in self.handlers:
                handler(event)

"""

NAMES = (
    "Account",
    "Invoice",
    "Order",
    "Shipment",
    "Customer",
    "Product",
    "Payment",
    "Refund",
    "Ticket",
    "Session",
    "Device",
    "Address",
)


def generate(lines: int) -> str:
    """Whole sections while they fit, then one-line constants up to exactly `lines` lines."""
    text = HEADER + FINDINGS
    index = 0
    while True:
        name = NAMES[index % len(NAMES)] + ("" if index < len(NAMES) else str(index))
        section = SECTION.format(name=name, lower=name.lower(), table=name.lower() + "s")
        if (text + section).count("\n") > lines:
            break
        text += section
        index += 1
    filler = lines - text.count("\n")
    return text + "".join(f"RETRY_DELAY_{n} = {n} * 0.25\n" for n in range(filler))


# flake8 with memlint's plugin hidden: what a project without memlint pays for bugbear.
FLAKE8_WITHOUT_MEMLINT = """
import sys
from flake8.main.cli import main
from flake8.plugins import finder

found = finder._find_importlib_plugins
finder._find_importlib_plugins = lambda: (p for p in found() if p.package != "memlint")
sys.exit(main())
"""


def can_hide_memlint_from_flake8() -> bool:
    try:
        from flake8.plugins import finder
    except ImportError:
        return False
    return hasattr(finder, "_find_importlib_plugins")


def tool(name: str) -> str | None:
    """The executable beside this interpreter (the project's virtualenv), else on PATH."""
    for candidate in (
        Path(sys.executable).parent / name,
        Path(sys.executable).parent / f"{name}.exe",
    ):
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def ensure_bugbear(install: bool) -> bool:
    if importlib.util.find_spec("bugbear") is not None:
        return True
    if not install:
        print("flake8-bugbear is missing: `flake8 --select B` is left out (--install-missing)")
        return False
    print("installing flake8-bugbear into this environment for the benchmark ...")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "flake8-bugbear"], check=True)
    return True


def measure(command: list[str], runs: int) -> tuple[float, str]:
    """Median wall seconds of `runs` fresh processes, and the output of the last one."""
    subprocess.run(command, capture_output=True, check=False)  # warm the OS file cache
    times = []
    output = ""
    for _ in range(runs):
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if completed.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")
        output = completed.stdout
    return statistics.median(times), output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per tool (default 10)")
    parser.add_argument("--lines", type=int, default=2000, help="size of the generated file")
    parser.add_argument("--file", type=Path, help="benchmark this file instead of a generated one")
    parser.add_argument(
        "--install-missing", action="store_true", help="pip install flake8-bugbear if missing"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        if args.file is not None:
            target = args.file.resolve()
        else:
            target = Path(folder) / "service.py"
            target.write_text(generate(args.lines), encoding="utf-8")
        # An empty config beside the generated file keeps memlint from reading the caller's.
        (Path(folder) / ".memlint.toml").write_text("")
        commands: dict[str, list[str]] = {}
        memlint, flake8, ruff = tool("memlint"), tool("flake8"), tool("ruff")
        if memlint is None:
            raise SystemExit("memlint is not installed in this environment")
        commands["memlint check"] = [memlint, "check", "--no-cache", "--quiet", str(target)]
        if flake8 is not None:
            if ensure_bugbear(args.install_missing):
                commands["flake8 --select B"] = [flake8, "--isolated", "--select", "B", str(target)]
                if can_hide_memlint_from_flake8():
                    commands["flake8 --select B, no MEM"] = [
                        sys.executable,
                        "-c",
                        FLAKE8_WITHOUT_MEMLINT,
                        "--isolated",
                        "--select",
                        "B",
                        str(target),
                    ]
            commands["flake8 --select MEM"] = [flake8, "--isolated", "--select", "MEM", str(target)]
        else:
            print("flake8 is not installed: its rows are left out")
        if ruff is not None:
            commands["ruff check"] = [
                ruff,
                "check",
                "--no-cache",
                "--isolated",
                "--output-format=concise",
                str(target),
            ]
        else:
            print("ruff is not installed: its row is left out")

        size = target.read_text(encoding="utf-8").count("\n")
        print(f"{target.name}: {size} lines; median of {args.runs} cold runs per tool")
        results = {}
        for label, command in commands.items():
            seconds, output = measure(command, args.runs)
            findings = sum(1 for line in output.splitlines() if line.startswith(str(target)))
            results[label] = (seconds, findings)
        baseline = results["memlint check"][0]
        print(f"{'command':<26}{'median':>10}{'vs memlint':>12}{'findings':>10}")
        for label, (seconds, findings) in results.items():
            print(f"{label:<26}{seconds * 1000:>8.0f}ms{seconds / baseline:>11.3g}x{findings:>10}")


if __name__ == "__main__":
    main()
