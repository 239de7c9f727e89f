"""MEM900: a `# noqa` code for a memlint rule that did not fire on that line."""

from __future__ import annotations

from memlint.diagnostics import Applicability
from memlint.rule import Invalid, Rule, Valid


class UnusedNoqa(Rule):
    """
    ## What it does
    Reports a `# noqa: MEMxxx` code on a line where that enabled memlint rule reports
    nothing, and a `MEM` code that memlint does not know. Codes of other tools (`E501`,
    `B019`) and blanket `# noqa` comments are left alone. Opt-in: enable it with
    `--extend-select MEM900`.

    ## Why is this bad?
    A suppression that no longer suppresses anything hides the next real finding on that
    line, and tells readers a problem exists where none does.

    ## Example
    ```python
    from functools import lru_cache

    @lru_cache(maxsize=128)  # noqa: MEM201
    def parse(text):
        ...
    ```

    ## Use instead
    ```python
    from functools import lru_cache

    @lru_cache(maxsize=128)
    def parse(text):
        ...
    ```

    ## Fix safety
    Removing an unused code changes only a comment, so the fix is safe.

    ## References
    - [flake8: selecting and ignoring violations](https://flake8.pycqa.org/en/latest/user/violations.html)
    """

    code = "MEM900"
    name = "unused-noqa"
    summary = "A `noqa` code for a memlint rule that did not fire there"
    fixable = True
    default_enabled = False
    synthetic = True
    cases = (
        Valid("from queue import Queue\nq = Queue()  # noqa: MEM202\n"),
        Valid("x = 1  # noqa: E501\n"),
        Valid("x = 1  # noqa\n"),
        Invalid(
            "x = 1  # noqa: MEM202\n",
            line=1,
            fixed="x = 1\n",
            applicability=Applicability.SAFE,
        ),
    )
