"""`memlint server` end to end: the real server as a subprocess, driven over stdio by a client.

Positions in these tests are checked against an editor's arithmetic written out here, not
against the server's own conversion code.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lsp_client import LspClient

EMOJI = "\U0001f600"
LRU = "from functools import lru_cache\n\n\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
FIX_ALL = "source.fixAll.memlint"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\ncache-maxsize = 77\n")
    return tmp_path


@pytest.fixture
def client(project: Path) -> Iterator[LspClient]:
    server = LspClient([sys.executable, "-m", "memlint", "server"], cwd=project)
    try:
        yield server
    finally:
        server.close()  # whatever happened: the process does not outlive the test


def _offset(text: str, position: dict[str, int]) -> int:
    lines = text.split("\n")
    line = lines[position["line"]]
    units = chars = 0
    while units < position["character"]:
        units += 2 if ord(line[chars]) > 0xFFFF else 1
        chars += 1
    return sum(len(before) + 1 for before in lines[: position["line"]]) + chars


def _start(edit: dict[str, Any]) -> tuple[int, int]:
    return edit["range"]["start"]["line"], edit["range"]["start"]["character"]


def text_edits(workspace_edit: dict[str, Any], uri: str, version: int) -> list[dict[str, Any]]:
    """The edits of a WorkspaceEdit for `uri`, checking it names the version it was made for."""
    [document_edit] = workspace_edit["documentChanges"]
    assert document_edit["textDocument"] == {"uri": uri, "version": version}
    edits: list[dict[str, Any]] = document_edit["edits"]
    return sorted(edits, key=_start, reverse=True)  # last first: earlier ranges stay valid


def apply(text: str, edits: list[dict[str, Any]]) -> str:
    for edit in edits:
        start, end = _offset(text, edit["range"]["start"]), _offset(text, edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text


def change(client: LspClient, uri: str, version: int, edits: list[dict[str, Any]]) -> None:
    """Send edits as an editor does: incremental changes, in the order they were applied."""
    client.change(uri, version, [{"range": e["range"], "text": e["newText"]} for e in edits])


def codes(diagnostics: list[dict[str, Any]]) -> list[str]:
    return [d["code"] for d in diagnostics]


def code_actions(
    client: LspClient, uri: str, span: dict[str, Any], only: list[str] | None = None
) -> list[dict[str, Any]]:
    context: dict[str, Any] = {"diagnostics": []}
    if only is not None:
        context["only"] = only
    params = {"textDocument": {"uri": uri}, "range": span, "context": context}
    actions: list[dict[str, Any]] = client.request("textDocument/codeAction", params)
    return actions


CAPABILITIES: dict[str, Any] = {
    "general": {"positionEncodings": ["utf-16"]},
    "workspace": {"workspaceEdit": {"documentChanges": True}},
    "textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}},
}


def test_finding_quick_fix_and_clean_shutdown(client: LspClient, project: Path) -> None:
    result = client.initialize(project, CAPABILITIES)
    capabilities = result["capabilities"]
    assert capabilities["positionEncoding"] == "utf-16"
    assert capabilities["codeActionProvider"]["codeActionKinds"] == ["quickfix", FIX_ALL]
    assert capabilities["hoverProvider"]
    uri = (project / "app.py").as_uri()
    client.open(uri, LRU)

    [diagnostic] = client.diagnostics(uri, 1)
    assert diagnostic["code"] == "MEM201"
    assert diagnostic["source"] == "memlint"
    assert diagnostic["severity"] == 2  # warning
    assert diagnostic["range"] == {
        "start": {"line": 3, "character": 1},
        "end": {"line": 3, "character": 24},
    }

    actions = code_actions(client, uri, diagnostic["range"])
    titles = [action["title"] for action in actions]
    # The fix's bound comes from this project's pyproject.toml.
    assert titles == [
        "MEM201: Pass `maxsize=77` (unsafe fix)",
        "MEM201: Suppress with `# noqa: MEM201`",
    ]
    assert all(action["kind"] == "quickfix" for action in actions)
    assert actions[0]["diagnostics"] == [diagnostic]
    edits = text_edits(actions[0]["edit"], uri, 1)
    fixed = apply(LRU, edits)
    assert fixed == LRU.replace("maxsize=None", "maxsize=77")

    change(client, uri, 2, edits)
    assert client.diagnostics(uri, 2) == []
    assert client.shutdown() == 0


def test_fix_all_noqa_hover_and_close(client: LspClient, project: Path) -> None:
    client.initialize(project, CAPABILITIES)
    uri = (project / "totals.py").as_uri()
    text = (
        "import queue\n"
        "\n"
        "jobs = queue.Queue()\n"
        "\n"
        "\n"
        "def total(rows):\n"
        "    return sum([r.amount for r in rows]) + max([r.fee for r in rows])\n"
    )
    client.open(uri, text)
    assert codes(client.diagnostics(uri, 1)) == ["MEM202", "MEM404", "MEM404"]

    # Listed with the quick fixes, fix-all is resolved only when chosen ...
    everything = {"start": {"line": 0, "character": 0}, "end": {"line": 7, "character": 0}}
    [listed] = [a for a in code_actions(client, uri, everything) if a["kind"] == FIX_ALL]
    assert "edit" not in listed
    resolved = client.request("codeAction/resolve", listed)
    # ... and computed at once when asked for by kind, as editors do on save.
    [on_save] = code_actions(client, uri, everything, only=["source.fixAll"])
    assert on_save["title"] == "memlint: Apply every safe fix"
    assert resolved["edit"] == on_save["edit"]
    edits = text_edits(on_save["edit"], uri, 1)
    text = apply(text, edits)
    assert text.endswith("    return sum(r.amount for r in rows) + max(r.fee for r in rows)\n")
    change(client, uri, 2, edits)
    [queue_finding] = client.diagnostics(uri, 2)  # the unsafe fix is not part of fix-all
    assert queue_finding["code"] == "MEM202"

    hover = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 10}},
    )
    assert hover["contents"]["kind"] == "markdown"
    assert hover["contents"]["value"].startswith(
        "**MEM202** `unbounded-queue`: A queue or producer/consumer deque with no bound"
    )
    assert hover["range"] == queue_finding["range"]
    assert "docs/rules/MEM202.md" in hover["contents"]["value"]
    outside = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}
    assert client.request("textDocument/hover", outside) is None

    actions = code_actions(client, uri, queue_finding["range"], only=["quickfix"])
    [noqa] = [a for a in actions if "noqa" in a["title"]]
    edits = text_edits(noqa["edit"], uri, 2)
    text = apply(text, edits)
    assert "jobs = queue.Queue()  # noqa: MEM202\n" in text
    change(client, uri, 3, edits)
    assert client.diagnostics(uri, 3) == []

    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    cleared = client.wait_for("textDocument/publishDiagnostics", lambda p: "version" not in p)
    assert cleared == {"uri": uri, "diagnostics": []}
    assert client.shutdown() == 0


@pytest.mark.parametrize(("encoding", "emoji_units"), [("utf-16", 2), ("utf-8", 4)])
def test_positions_count_code_units_past_emoji_and_form_feeds(
    client: LspClient, project: Path, encoding: str, emoji_units: int
) -> None:
    capabilities = {**CAPABILITIES, "general": {"positionEncodings": [encoding]}}
    result = client.initialize(project, capabilities)
    assert result["capabilities"]["positionEncoding"] == encoding
    uri = (project / "emoji.py").as_uri()
    text = f"import queue\n\x0c\nlabel = '{EMOJI}{EMOJI}'; jobs = queue.Queue()\n"
    client.open(uri, text)
    [diagnostic] = client.diagnostics(uri, 1)
    # Line 2 in the editor: the form feed does not end a line. Each emoji is one character,
    # two UTF-16 units or four UTF-8 bytes.
    character = len("label = '") + 2 * emoji_units + len("'; jobs = ")
    assert diagnostic["range"]["start"] == {"line": 2, "character": character}
    assert diagnostic["range"]["end"] == {"line": 2, "character": character + 13}

    # An incremental change after the emoji lands where the editor put it.
    position = {"line": 2, "character": character + len("queue.Queue(")}
    client.change(uri, 2, [{"range": {"start": position, "end": position}, "text": "maxsize=9"}])
    assert client.diagnostics(uri, 2) == []
    assert client.shutdown() == 0


def test_bad_input_never_kills_the_server(client: LspClient, project: Path) -> None:
    client.initialize(project, CAPABILITIES)
    client.send_raw(b"Content-Length: 9\r\n\r\n{not json")
    client.send_raw(b"Content-Length: 2\r\n\r\n42")
    invalid = client.request_response("textDocument/hover", {"textDocument": 5})
    assert invalid["error"]["code"] == -32602  # invalid params, answered rather than dropped
    unknown = client.request_response("memlint/nonsense", {})
    assert unknown["error"]["code"] == -32601  # method not found

    uri = (project / "broken.py").as_uri()
    client.open(uri, "def f(:\n    pass\n")
    [parse_error] = client.diagnostics(uri, 1)
    assert parse_error["code"] == "MEM000"
    assert parse_error["severity"] == 1  # error
    # No noqa for a file that does not parse: it needs mending.
    assert code_actions(client, uri, parse_error["range"]) == []
    client.change(uri, 2, [{"text": "import queue\nq = queue.Queue()\n"}])
    assert codes(client.diagnostics(uri, 2)) == ["MEM202"]

    # An editor buffer that was never saved is analysed from memory.
    untitled = "untitled:Untitled-1"
    client.open(untitled, "import queue\nq = queue.Queue()\n")
    assert codes(client.diagnostics(untitled, 1)) == ["MEM202"]

    # Changes for documents the server does not know are ignored, not fatal.
    client.change((project / "unknown.py").as_uri(), 2, [{"text": "x = 1\n"}])
    assert client.process.poll() is None
    assert client.shutdown() == 0


def test_configuration_per_file_and_reloaded(client: LspClient, project: Path) -> None:
    capabilities = {
        **CAPABILITIES,
        "workspace": {
            "workspaceEdit": {"documentChanges": True},
            "didChangeWatchedFiles": {"dynamicRegistration": True},
        },
    }
    client.initialize(project, capabilities)
    nested = project / "nested"
    nested.mkdir()
    (nested / "memlint.toml").write_text("cache-maxsize = 5\n")
    top, inner = (project / "top.py").as_uri(), (nested / "inner.py").as_uri()
    client.open(top, LRU)
    client.open(inner, LRU)

    def fix_title(uri: str) -> str:
        [diagnostic] = client.diagnostics(uri, 1)
        title: str = code_actions(client, uri, diagnostic["range"])[0]["title"]
        return title

    assert fix_title(top) == "MEM201: Pass `maxsize=77` (unsafe fix)"
    assert fix_title(inner) == "MEM201: Pass `maxsize=5` (unsafe fix)"
    [registration] = [
        r for r in client.server_requests if r["method"] == "client/registerCapability"
    ]
    watchers = registration["params"]["registrations"][0]["registerOptions"]["watchers"]
    assert [w["globPattern"] for w in watchers] == [
        "**/pyproject.toml",
        "**/memlint.toml",
        "**/.memlint.toml",
    ]

    # Edited on disk: re-read and re-analysed when the editor reports the change ...
    seen = len(client.notifications)
    (project / "pyproject.toml").write_text("[tool.memlint]\ncache-maxsize = 88\n")
    event = {"uri": (project / "pyproject.toml").as_uri(), "type": 2}
    client.notify("workspace/didChangeWatchedFiles", {"changes": [event]})
    client.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == top, start=seen)
    assert fix_title(top) == "MEM201: Pass `maxsize=88` (unsafe fix)"

    # ... and a bad value is shown once, naming the file and the key, with no findings.
    seen = len(client.notifications)
    (project / "pyproject.toml").write_text("[tool.memlint]\ncache-maxsize = 'many'\n")
    client.notify("textDocument/didSave", {"textDocument": {"uri": top}})
    shown = client.wait_for("window/showMessage", start=seen)
    assert "pyproject.toml" in shown["message"] and "cache-maxsize" in shown["message"]
    published = client.wait_for(
        "textDocument/publishDiagnostics", lambda p: p["uri"] == top, start=seen
    )
    assert published["diagnostics"] == []
    assert client.shutdown() == 0


def test_a_burst_of_changes_ends_with_the_newest_version(client: LspClient, project: Path) -> None:
    client.initialize(project, {})  # a client that can do the least
    uri = (project / "burst.py").as_uri()
    client.open(uri, "x = 1\n")
    assert client.diagnostics(uri, 1) == []
    seen = len(client.notifications)
    for version in range(2, 7):
        # Each version adds one more unbounded queue on its own line.
        lines = "".join(f"q{n} = queue.Queue()\n" for n in range(version))
        client.change(uri, version, [{"text": "import queue\n" + lines}])
    assert codes(client.diagnostics(uri, 6)) == ["MEM202"] * 6
    published = [
        n["params"]["version"]
        for n in client.notifications[seen:]
        if n["method"] == "textDocument/publishDiagnostics"
    ]
    # Never an older version after a newer one, and the newest last.
    assert published == sorted(published) and published[-1] == 6

    # Without versioned edits or lazy resolution: plain edits, and fix-all only on request.
    first = {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 0}}
    fix, noqa = code_actions(client, uri, first)
    assert fix["title"] == "MEM202: Pass `maxsize=1000` (unsafe fix)"
    assert noqa["edit"] == {
        "changes": {
            uri: [
                {
                    "range": {
                        "start": {"line": 1, "character": 18},
                        "end": {"line": 1, "character": 18},
                    },
                    "newText": "  # noqa: MEM202",
                }
            ]
        }
    }
    assert client.shutdown() == 0


def test_the_latency_benchmark_runs() -> None:
    # Its figures are for people; this only keeps the one command working.
    root = Path(__file__).resolve().parent.parent
    completed = subprocess.run(
        [sys.executable, "benchmarks/lsp_latency.py", "--runs", "2", "--lines", "80"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "service.py: 80 lines, 2 findings; 2 changes" in completed.stdout
    assert "didChange -> publishDiagnostics: median" in completed.stdout
