"""The language server: LSP messages in, engine jobs out, findings and fixes back, via pygls."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from memlint import __version__, registry
from memlint.config import CONFIG_FILES, ConfigError
from memlint.diagnostics import Applicability, Diagnostic, Edit, Severity
from memlint.server import actions
from memlint.server.configs import Configs
from memlint.server.documents import UTF16, Change, Document, Position, TextIndex
from memlint.server.scheduler import Scheduler
from memlint.server.worker import FIX_ALL, LINT, Job, Outcome, Worker, WorkerError
from memlint.settings import Settings

# A pause in typing this long starts an analysis; saving or opening starts one at once.
DEBOUNCE_SECONDS = 0.15
# An analysis still running after this long is stopped (its process is killed).
ANALYSIS_TIMEOUT_SECONDS = 120.0
SOURCE = "memlint"

log = logging.getLogger("memlint.server")


@dataclass(frozen=True)
class Finding:
    diagnostic: Diagnostic
    lsp: types.Diagnostic
    start: int  # offsets into the document's text
    end: int


@dataclass(frozen=True)
class Analysis:
    """What was found in one version of a document, under the settings it was analysed with."""

    document: Document
    settings: Settings | None  # None: the configuration could not be read
    findings: tuple[Finding, ...] = ()

    @property
    def has_safe_fix(self) -> bool:
        return any(
            f.diagnostic.fix is not None and f.diagnostic.fix.applicability is Applicability.SAFE
            for f in self.findings
        )


def _lsp_position(position: Position) -> types.Position:
    return types.Position(line=position.line, character=position.character)


def _position(position: types.Position) -> Position:
    return Position(position.line, position.character)


def _lsp_range(index: TextIndex, start: int, end: int) -> types.Range:
    return types.Range(
        start=_lsp_position(index.position(start)), end=_lsp_position(index.position(end))
    )


def _is_python(language_id: str, uri: str) -> bool:
    return language_id == "python" or uri.endswith((".py", ".pyi"))


class MemlintServer:
    """The state behind the LSP handlers: open documents, their analyses, the worker."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.documents: dict[str, Document] = {}
        self.analyses: dict[str, Analysis] = {}
        self.configs = Configs(os.getcwd())
        self.worker = Worker(ANALYSIS_TIMEOUT_SECONDS)
        # One thread waits on the worker; jobs queue here in the order they were asked for.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memlint-worker")
        self.scheduler = Scheduler(self._analyse)
        # Requests waiting for the analysis of one version of a document.
        self._waiters: dict[str, list[tuple[int, asyncio.Future[Analysis | None]]]] = {}
        # The configuration error last shown: shown again only once it changed or was mended.
        self._config_error: str | None = None
        self.encoding = UTF16
        self.shutdown_requested = False

    # -- client capabilities -------------------------------------------------------------

    def _client_can(self, field: str) -> bool:
        return bool(get_capability(self.server.client_capabilities, field, False))

    def _resolve_supported(self) -> bool:
        properties = get_capability(
            self.server.client_capabilities, "text_document.code_action.resolve_support", None
        )
        return properties is not None and "edit" in properties.properties

    # -- lifecycle -------------------------------------------------------------------------

    def initialize(self, params: types.InitializeParams) -> None:
        encoding = self.server.workspace.position_encoding or UTF16
        self.encoding = str(getattr(encoding, "value", encoding))
        folders = params.workspace_folders or []
        root = self.server.workspace.root_path or next(
            (to_fs_path(folder.uri) for folder in folders if folder.uri.startswith("file:")), None
        )
        if root:
            self.configs.fallback_root = root
        # Start the analysis process now, so the first document does not wait for libcst.
        self._executor.submit(self.worker.start)

    def initialized(self) -> None:
        if not self._client_can("workspace.did_change_watched_files.dynamic_registration"):
            return  # configuration changes are still seen, on the next analysis
        watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
        registration = types.Registration(
            id="memlint-config-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        self.server.client_register_capability(
            types.RegistrationParams(registrations=[registration])
        )

    def shutdown(self) -> None:
        self.shutdown_requested = True
        self.close()

    def close(self) -> None:
        self.scheduler.close()
        self.worker.stop()
        self._executor.shutdown(wait=False)

    # -- documents -------------------------------------------------------------------------

    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        if not _is_python(item.language_id, item.uri):
            return
        path = to_fs_path(item.uri) if item.uri.startswith("file:") else None
        self.documents[item.uri] = Document(item.uri, item.version, item.text, path)
        self.scheduler.schedule(item.uri, 0)

    def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        document = self.documents.get(uri)
        if document is None:
            return
        changes = [
            Change(
                change.text,
                (_position(change.range.start), _position(change.range.end))
                if isinstance(change, types.TextDocumentContentChangePartial)
                else None,
            )
            for change in params.content_changes
        ]
        version = params.text_document.version
        self.documents[uri] = document.changed(version, changes, self.encoding)
        self.scheduler.schedule(uri, DEBOUNCE_SECONDS)

    def did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri in self.documents:
            self.scheduler.schedule(params.text_document.uri, 0)

    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if self.documents.pop(uri, None) is None:
            return
        self.analyses.pop(uri, None)
        self.scheduler.forget(uri)
        self._settle(uri, None, None)
        # Findings of a closed file would stay in the problems list with no way to update.
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def config_files_changed(self) -> None:
        self.configs.clear()
        for uri in self.documents:
            self.scheduler.schedule(uri, 0)

    # -- analysis --------------------------------------------------------------------------

    async def _analyse(self, uri: str) -> None:
        """Analyse the newest version of a document and publish what was found."""
        document = self.documents.get(uri)
        if document is None:
            return
        analysis: Analysis | None = None
        try:
            analysis = await self._analysis_of(document)
        finally:
            self._settle(uri, document.version, analysis)

    async def _analysis_of(self, document: Document) -> Analysis | None:
        try:
            settings = self.configs.settings_for(document.path)
        except ConfigError as err:
            message = f"memlint: bad configuration: {err}"
            if message != self._config_error:
                self._config_error = message
                self._report(message, show=True)
            return self._store(Analysis(document, None))
        self._config_error = None
        previous = self.analyses.get(document.uri)
        if (
            previous is not None
            and previous.document.version == document.version
            and previous.settings == settings
        ):
            return previous  # e.g. saved right after the analysis of the same text
        job = Job(LINT, document.lint_text, document.display_path, settings)
        outcome = await self._run(job)
        if outcome is None:
            return None
        current = self.documents.get(document.uri)
        if current is None or current.version != document.version:
            return None  # superseded: the newer version has its own analysis coming
        findings = self._findings(document, outcome, settings)
        return self._store(Analysis(document, settings, findings))

    async def _run(self, job: Job) -> Outcome | None:
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(self._executor, self.worker.run, job)
        except WorkerError as err:
            self._report(f"memlint: {err}")
            return None
        for error in outcome.errors:
            self._report(f"memlint: {error}")
        return outcome

    def _findings(
        self, document: Document, outcome: Outcome, settings: Settings
    ) -> tuple[Finding, ...]:
        index = TextIndex(document.text, self.encoding)
        findings = []
        # `min-confidence` applies in the editor as on the command line.
        threshold = settings.threshold
        for d in outcome.diagnostics:
            if not d.confidence.at_least(threshold):
                continue
            start = index.memlint_offset(d.line, d.column)
            end = index.memlint_offset(d.end_line, d.end_column)
            link = actions.doc_uri(d.code)
            lsp = types.Diagnostic(
                range=_lsp_range(index, start, end),
                message=d.message,
                severity=types.DiagnosticSeverity.Error
                if d.severity is Severity.ERROR
                else types.DiagnosticSeverity.Warning,
                code=d.code,
                code_description=types.CodeDescription(href=link) if link else None,
                source=SOURCE,
                # An unused `noqa` is dead text: editors grey it out.
                tags=[types.DiagnosticTag.Unnecessary]
                if d.code == registry.UNUSED_NOQA_CODE
                else None,
            )
            findings.append(Finding(d, lsp, start, end))
        return tuple(findings)

    def _store(self, analysis: Analysis) -> Analysis:
        document = analysis.document
        self.analyses[document.uri] = analysis
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=document.uri,
                diagnostics=[finding.lsp for finding in analysis.findings],
                version=document.version,
            )
        )
        return analysis

    def _settle(self, uri: str, version: int | None, analysis: Analysis | None) -> None:
        """Answer the requests waiting for `version` (or an older one) of `uri`.

        None settles every waiter (the document was closed). A waiter for a newer version
        keeps waiting: its own analysis is due.
        """
        waiting = self._waiters.get(uri, [])
        keep = []
        for wanted, future in waiting:
            if future.done():
                continue
            if version is not None and wanted > version:
                keep.append((wanted, future))
                continue
            match = analysis is not None and analysis.document.version == wanted
            future.set_result(analysis if match else None)
        if keep:
            self._waiters[uri] = keep
        else:
            self._waiters.pop(uri, None)

    async def current(self, uri: str) -> Analysis | None:
        """The analysis of the document's current version, waiting for it if need be."""
        document = self.documents.get(uri)
        if document is None:
            return None
        found = self.analyses.get(uri)
        if found is not None and found.document.version == document.version:
            return found
        future: asyncio.Future[Analysis | None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(uri, []).append((document.version, future))
        self.scheduler.schedule(uri, 0)  # the request is waiting: no debounce
        try:
            return await asyncio.wait_for(future, ANALYSIS_TIMEOUT_SECONDS * 2)
        except asyncio.TimeoutError:
            return None

    def _report(self, message: str, *, show: bool = False) -> None:
        """Log a problem for the user in the editor's log (and a pop-up, for `show`)."""
        log.warning("%s", message)
        kind = types.MessageType.Warning
        self.server.window_log_message(types.LogMessageParams(type=kind, message=message))
        if show:
            self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))

    # -- code actions and hover ------------------------------------------------------------

    def _workspace_edit(self, document: Document, edits: Sequence[Edit]) -> types.WorkspaceEdit:
        index = TextIndex(document.text, self.encoding)
        text_edits = [
            types.TextEdit(
                range=_lsp_range(
                    index,
                    index.memlint_offset(e.line, e.column),
                    index.memlint_offset(e.end_line, e.end_column),
                ),
                new_text=e.content,
            )
            for e in edits
        ]
        if not self._client_can("workspace.workspace_edit.document_changes"):
            return types.WorkspaceEdit(changes={document.uri: text_edits})
        # Versioned: a client refuses the edit if the document changed since.
        identifier = types.OptionalVersionedTextDocumentIdentifier(
            uri=document.uri, version=document.version
        )
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=identifier, edits=text_edits)]
        )

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        only = params.context.only
        want_quickfixes = actions.requested(actions.QUICKFIX, only)
        want_fix_all = actions.requested(actions.FIX_ALL, only)
        if not (want_quickfixes or want_fix_all):
            return []
        analysis = await self.current(params.text_document.uri)
        if analysis is None:
            return []
        result = []
        if want_quickfixes:
            result.extend(self._quickfixes(analysis, params.range))
        if want_fix_all and analysis.has_safe_fix:
            action = types.CodeAction(
                title="memlint: Apply every safe fix",
                kind=actions.FIX_ALL,
                data={"uri": analysis.document.uri, "version": analysis.document.version},
            )
            # Asked for by name (on save, or the source-action menu): computed now. Listed
            # with the quick fixes: computed only if chosen, where the client can resolve.
            if only or not self._resolve_supported():
                action.edit = await self._fix_all_edit(analysis)
            if action.edit is not None or not only:
                result.append(action)
        return result

    def _quickfixes(self, analysis: Analysis, span: types.Range) -> list[types.CodeAction]:
        document = analysis.document
        index = TextIndex(document.text, self.encoding)
        start, end = index.offset(_position(span.start)), index.offset(_position(span.end))
        result = []
        for finding in analysis.findings:
            if finding.start > end or start > finding.end:
                continue
            d = finding.diagnostic
            if d.fix is not None:
                result.append(
                    types.CodeAction(
                        title=actions.fix_title(d),
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[finding.lsp],
                        is_preferred=d.fix.applicability is Applicability.SAFE,
                        edit=self._workspace_edit(document, d.fix.edits),
                    )
                )
            if d.code == registry.PARSE_ERROR_CODE:
                continue  # a file that does not parse needs mending, not a `noqa`
            noqa = actions.noqa_edit(document.lint_text, d.line, d.code)
            if noqa is not None:
                result.append(
                    types.CodeAction(
                        title=actions.noqa_title(d.code),
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[finding.lsp],
                        edit=self._workspace_edit(document, [noqa]),
                    )
                )
        return result

    async def _fix_all_edit(self, analysis: Analysis) -> types.WorkspaceEdit | None:
        document = analysis.document
        if analysis.settings is None:
            return None
        diagnostics = tuple(f.diagnostic for f in analysis.findings)
        job = Job(
            FIX_ALL, document.lint_text, document.display_path, analysis.settings, diagnostics
        )
        outcome = await self._run(job)
        if outcome is None or outcome.edit is None:
            return None
        return self._workspace_edit(document, [outcome.edit])

    async def resolve_code_action(self, action: types.CodeAction) -> types.CodeAction:
        data: Any = action.data
        if action.kind != actions.FIX_ALL or action.edit is not None or not isinstance(data, dict):
            return action
        analysis = await self.current(str(data.get("uri")))
        if analysis is not None and analysis.document.version == data.get("version"):
            action.edit = await self._fix_all_edit(analysis)
        return action

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        analysis = await self.current(params.text_document.uri)
        if analysis is None:
            return None
        index = TextIndex(analysis.document.text, self.encoding)
        offset = index.offset(_position(params.position))
        hits = [f for f in analysis.findings if f.start <= offset <= f.end]
        if not hits:
            return None
        text = "\n\n---\n\n".join(actions.hover_markdown(f.diagnostic) for f in hits)
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
            range=hits[0].lsp.range,
        )


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, less its own copy of the documents.

    pygls splits a document's lines with str.splitlines, which also ends a line at a form
    feed or U+2028 (LSP does not), and it rewrites the positions of a change in place
    while applying it, so the server would see them wrong too. The server keeps its own
    documents (memlint.server.documents); these handlers only pass the messages on. They
    are generator functions, as pygls's are: it runs the handler each one yields.
    """

    def _only_ours(self, method: str, params: Any) -> Iterator[Any]:
        handler = self.fm.features.get(method)
        if handler is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Iterator[Any]:
        yield from self._only_ours(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Iterator[Any]:
        yield from self._only_ours(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Iterator[Any]:
        yield from self._only_ours(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as err:
            # pygls logs a request whose params do not fit the method and drops it, which
            # leaves the client waiting for an answer forever: answer with the error.
            if "id" in data and "method" in data:
                self._send_response(data["id"], error=err.to_response_error())
            raise


class _Server(LanguageServer):
    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls pops a dialog up for every bad message or failed handler; a log line is
        # enough, and a broken client cannot flood the user with dialogs.
        message = f"memlint server: internal error: {type(error).__name__}: {error}"
        log.error("%s", message)
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=message)
        )


def create_server() -> tuple[LanguageServer, MemlintServer]:
    """A pygls server whose handlers delegate to a MemlintServer."""
    server = _Server(SOURCE, __version__, protocol_cls=_Protocol)
    state = MemlintServer(server)

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        state.initialize(params)

    @server.feature(types.INITIALIZED)
    def initialized(params: types.InitializedParams) -> None:
        state.initialized()

    @server.feature(types.SHUTDOWN)
    def shutdown(params: None) -> None:
        state.shutdown()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        state.did_open(params)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        state.did_change(params)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        state.did_save(params)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        state.did_close(params)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        state.config_files_changed()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL],
            resolve_provider=True,
        ),
    )
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        return await state.code_actions(params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(params: types.CodeAction) -> types.CodeAction:
        return await state.resolve_code_action(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> types.Hover | None:
        return await state.hover(params)

    return server, state


def serve() -> int:
    """Run the server on standard input and output until the client exits; the exit code."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Standard output carries LSP messages only: a stray print must not corrupt the stream.
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
    # pygls logs every message it sends at INFO.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    server, state = create_server()
    try:
        server.start_io(stdin, stdout)
    finally:
        state.close()
    # LSP: exit code 0 after a shutdown request, 1 when the client just went away.
    return 0 if state.shutdown_requested else 1
