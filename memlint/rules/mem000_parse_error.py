"""MEM000: a file memlint could not analyse (syntax error, undecodable bytes)."""

from __future__ import annotations

from memlint.diagnostics import Severity
from memlint.rule import Invalid, Rule, Valid


class ParseError(Rule):
    """
    ## What it does
    Reports a file that memlint needed to analyse but could not: a syntax error, bytes that
    do not decode in the file's encoding (a BOM, a PEP 263 coding cookie, else UTF-8), NUL
    bytes, or code nested too deeply for the parser. The message carries the parser's own
    words and the position it gave.

    ## Why is this bad?
    A file that cannot be read is a file whose memory use nobody checked. memlint reports
    it as a diagnostic rather than stopping, so the other files are still analysed, and a run
    that reports only `MEM000` still exits 1.

    With the default rules every file goes through CPython's parser (MEM601 looks for a
    shape, not a word), so every syntax error is reported. With a selection of rules that
    all need words (say, `Queue` or `cache`), a file containing none of them is never
    parsed, and its syntax errors are left to the compiler and other tools.

    ## Example
    ```python
    from functools import lru_cache

    def load(path:
        ...
    ```

    ## Use instead
    ```python
    from functools import lru_cache

    def load(path):
        ...
    ```

    ## References
    - [PEP 263: source code encodings](https://peps.python.org/pep-0263/)
    """

    code = "MEM000"
    name = "parse-error"
    summary = "A file that cannot be decoded or parsed"
    severity = Severity.ERROR
    synthetic = True
    cases = (
        Valid("from functools import lru_cache\nx = 1\n"),
        Invalid("from functools import cache\nf = cache(\n", line=2, column=10),
        Invalid("from functools import cache\ndef f(:\n    pass\n", line=2, column=7),
    )
