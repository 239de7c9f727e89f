from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="Rewrite fixtures/rules/*.snap from the current output (read the diff!).",
    )
    parser.addoption(
        "--corpus",
        choices=("ci", "full"),
        default=None,
        help="Size of the corpus sweeps (tests/test_corpus.py): `ci`, a fixed sample (the "
        "default), or `full`, the whole standard library and every site-packages folder "
        "(minutes to hours). Also MEMLINT_CORPUS.",
    )
    parser.addoption(
        "--fuzz-examples",
        type=int,
        default=None,
        help="Examples per fuzz test (tests/test_fuzz.py); CI runs a few dozen. "
        "Also MEMLINT_FUZZ_EXAMPLES.",
    )


def pytest_configure(config: pytest.Config) -> None:
    # The environment is the one channel the sizes travel by: hypothesis reads its example
    # count when a test module is imported, and the sweeps' subprocesses inherit it.
    corpus = config.getoption("--corpus")
    if corpus is not None:
        os.environ["MEMLINT_CORPUS"] = corpus
    examples = config.getoption("--fuzz-examples")
    if examples is not None:
        os.environ["MEMLINT_FUZZ_EXAMPLES"] = str(examples)
