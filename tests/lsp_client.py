"""A small LSP client over a subprocess's stdio, for the server tests and the latency benchmark.

Every wait has a deadline, and `close` always ends the process: a test that fails never
leaves a server behind or hangs the run.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

TIMEOUT = 60.0  # generous: CI shares two cores, and a first analysis imports libcst


class LspError(Exception):
    """The server answered a request with an error."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")


class LspClient:
    def __init__(self, command: Sequence[str], cwd: Path, env: dict[str, str] | None = None):
        # A file, not a pipe: an unread stderr pipe that fills up would block the server.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 closed by close()
        self.process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        self._incoming: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=10_000)
        self._responses: dict[int, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self._next_id = 0
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="lsp-client-reader", daemon=True)
        self._reader.start()

    # -- the wire --------------------------------------------------------------------------

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        try:
            while True:
                length = None
                while True:
                    header = stream.readline()
                    if not header:
                        return
                    if header in (b"\r\n", b"\n"):
                        break
                    name, _, value = header.decode("ascii").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                self._incoming.put(json.loads(stream.read(length)))
        finally:
            self._incoming.put(None)

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def _pump(self, deadline: float) -> bool:
        """Take one incoming message (False once the deadline has passed or the server left)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            message = self._incoming.get(timeout=remaining)
        except queue.Empty:
            return False
        if message is None:
            self._incoming.put(None)  # stays at the end for every later wait
            return False
        if "method" in message and "id" in message:
            # A request from the server (registerCapability, ...): accept it.
            self.server_requests.append(message)
            self.send({"id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        else:
            self._responses[message["id"]] = message
        return True

    def _fail(self, what: str) -> AssertionError:
        return AssertionError(f"{what}; server stderr:\n{self.stderr_text()[-4000:]}")

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    # -- requests and notifications ----------------------------------------------------------

    def request_response(
        self, method: str, params: Any = None, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        """The whole response message (result or error) to one request."""
        self._next_id += 1
        ident = self._next_id
        self.send({"id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while ident not in self._responses:
            if not self._pump(deadline):
                raise self._fail(f"no response to {method} within {timeout} s")
        return self._responses.pop(ident)

    def request(self, method: str, params: Any = None, timeout: float = TIMEOUT) -> Any:
        response = self.request_response(method, params, timeout)
        if "error" in response:
            raise LspError(response["error"])
        return response.get("result")

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Any], bool] = lambda params: True,
        timeout: float = TIMEOUT,
        start: int = 0,
    ) -> Any:
        """The params of the first notification `method` from index `start` that matches."""
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            for message in self.notifications[seen:]:
                seen += 1
                if message["method"] == method and predicate(message.get("params")):
                    return message.get("params")
            if not self._pump(deadline):
                raise self._fail(f"no matching {method} within {timeout} s")

    def diagnostics(self, uri: str, version: int, timeout: float = TIMEOUT) -> list[Any]:
        """The diagnostics published for `version` of `uri`."""
        params = self.wait_for(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and p.get("version") == version,
            timeout,
        )
        found: list[Any] = params["diagnostics"]
        return found

    # -- the session -----------------------------------------------------------------------

    def initialize(self, root: Path, capabilities: dict[str, Any] | None = None) -> Any:
        result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "capabilities": capabilities or {},
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            },
        )
        self.notify("initialized", {})
        return result

    def open(self, uri: str, text: str, version: int = 1) -> None:
        item = {"uri": uri, "languageId": "python", "version": version, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": item})

    def change(self, uri: str, version: int, changes: list[dict[str, Any]]) -> None:
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes},
        )

    def shutdown(self, timeout: float = TIMEOUT) -> int:
        """Shut down and exit as a client does; the server's exit code."""
        self.request("shutdown", None, timeout)
        self.notify("exit")
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise self._fail(f"the server did not exit within {timeout} s") from None

    def close(self) -> None:
        """End the server, whatever state it is in."""
        if self._closed:
            return
        self._closed = True
        # End of input is how a server learns its client is gone; the reader thread sees
        # the end of the server's output once it exits (closing that pipe under it could
        # block on the reader's lock).
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        self.stderr.close()
