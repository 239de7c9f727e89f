"""benchmarks/run.py: its table and sampling (the timing itself is for people, never asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


def test_ratios_are_taken_within_each_group() -> None:
    bench = _load()
    # The sample's rows as the benchmark builds them (fixit's once lacked its group).
    fixit, sampled = bench.sample_rows(Path("fixit"), ["memlint"], [Path("a.py")] * 10)
    fixit.walls, fixit.peaks = [30.0], [1]
    sampled.walls, sampled.peaks = [1.5], [1]
    rows = [
        bench.Row("memlint cold", [], 100, walls=[10.0, 12.0, 11.0], peaks=[50 * 2**20]),
        bench.Row("flake8 --select B", [], 100, walls=[55.0], peaks=[30 * 2**20]),
        fixit,
        sampled,
    ]
    lines = bench.table(rows).splitlines()
    assert lines[1].split()[-1] == "1.00"
    assert lines[2].split()[-1] == "5.00"  # 55 / 11 (the median)
    assert lines[3].split()[-1] == "20.00"  # 30 / 1.5, not 30 / 11
    assert "50 MB" in lines[1]


def test_sample_is_fixed_and_spread() -> None:
    bench = _load()
    files = [Path(f"f{index:03}.py") for index in range(100)]
    assert bench.sample(files, 4) == [files[0], files[25], files[50], files[75]]
    assert bench.sample(files, 500) == files


def test_memlint_rows_show_the_parent_and_worker_peaks() -> None:
    bench = _load()
    row = bench.Row("memlint cold", [], 10, walls=[1.0], peaks=[300 * 2**20], parents=[90 * 2**20])
    assert "90 / 300 MB" in bench.table([row]).splitlines()[1]


def test_every_tool_gets_the_files_memlint_discovers(tmp_path: Path) -> None:
    bench = _load()
    (tmp_path / "pkg" / "site-packages").mkdir(parents=True)
    (tmp_path / "pkg" / "site-packages" / "vendored.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "cached.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "stub.pyi").write_text("x: int\n")
    found = bench.python_files([tmp_path / "pkg"])
    assert sorted(path.name for path in found) == ["mod.py", "stub.pyi"]
