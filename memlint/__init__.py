"""memlint: find Python code whose memory can grow without bound."""

from __future__ import annotations

__version__ = "0.1.0"

# Where the documentation site (`mkdocs.yml`'s `site_url`) is published: SARIF's `helpUri`
# for each rule points into it. A test keeps the two in step.
DOCS_URL = "https://memlint.readthedocs.io/en/latest/"


def rule_url(code: str) -> str:
    """The address of a rule's page on the documentation site."""
    return f"{DOCS_URL}rules/{code}/"
