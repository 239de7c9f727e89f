"""memlint: find Python code whose memory can grow without bound."""

from __future__ import annotations

__version__ = "0.1.0"
