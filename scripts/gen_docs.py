"""Regenerate docs/rules/*.md, docs/configuration.md, docs/index.md, mkdocs.yml and the catalog."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from memlint.docs import stale, write_all

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 listing stale files; write nothing"
    )
    args = parser.parse_args(argv)
    if args.check:
        outdated = stale(ROOT)
        for path in outdated:
            print(f"stale: {path.relative_to(ROOT).as_posix()}")
        if outdated:
            print("run `python scripts/gen_docs.py` to regenerate", file=sys.stderr)
        return 1 if outdated else 0
    for path in write_all(ROOT):
        action = "updated" if path.exists() else "removed"
        print(f"{action}: {path.relative_to(ROOT).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
