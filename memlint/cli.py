"""The command line: flags -> Settings -> runner -> output. No analysis happens here."""

from __future__ import annotations

import collections
import dataclasses
import importlib.util
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

import click

from memlint import __version__, registry
from memlint.baseline import Baseline, BaselineError, Recorder
from memlint.cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from memlint.cache import Cache, fingerprint
from memlint.config import ConfigError, resolve_settings
from memlint.diagnostics import Applicability, Confidence, Diagnostic
from memlint.discovery import PathError, iter_sources
from memlint.fingerprint import FileFingerprints
from memlint.output import FORMATS, reporter
from memlint.runner import FileOutcome, RunOptions, process, run
from memlint.settings import TARGET_VERSIONS, Selection, options
from memlint.sourcetext import decode_source, read_source

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split_codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def _selection_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add a click option for every Settings option that declares a CLI flag."""
    for name, spec in reversed(options()):
        if spec.cli is None:
            continue
        if name == "target_version":
            choice: click.ParamType[Any] = click.Choice(TARGET_VERSIONS)
            command = click.option(spec.cli, name, type=choice, help=spec.help)(command)
        elif name == "min_confidence":
            levels = click.Choice([level.value for level in reversed(Confidence)])
            command = click.option(spec.cli, name, type=levels, help=spec.help)(command)
        else:
            command = click.option(spec.cli, name, metavar="CODES", help=spec.help)(command)
    return command


@dataclass
class Totals:
    diagnostics: int = 0
    files_with_diagnostics: int = 0
    fixed: int = 0
    safe_fixable: int = 0
    unsafe_fixable: int = 0
    errors: int = 0
    by_code: collections.Counter[str] = field(default_factory=collections.Counter)
    fixable_by_code: collections.Counter[str] = field(default_factory=collections.Counter)
    # Findings below `--min-confidence`, by code: not reported, only counted.
    held_back: collections.Counter[str] = field(default_factory=collections.Counter)

    def count(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics += len(diagnostics)
        self.files_with_diagnostics += bool(diagnostics)
        for d in diagnostics:
            self.by_code[d.code] += 1
            if d.fix is None:
                continue
            self.fixable_by_code[d.code] += 1
            if d.fix.applicability is Applicability.SAFE:
                self.safe_fixable += 1
            else:
                self.unsafe_fixable += 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="memlint")
def main() -> None:
    """memlint: find Python code whose memory can grow without bound."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_selection_flags
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True
)
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, apply unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option(
    "--stdin-filename",
    metavar="NAME",
    help="Read the source from standard input and report it as NAME.",
)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores; 1 runs in this process).",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help=f"Where the result cache lives (default: `{DEFAULT_CACHE_DIR}` in the project root).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when diagnostics are reported.")
@click.option("--statistics", is_flag=True, help="Print counts per code instead of diagnostics.")
@click.option("--quiet", "-q", is_flag=True, help="Print diagnostics only, no summary.")
@click.option("--show-source", is_flag=True, help="Show the flagged source line and a hint.")
@click.option(
    "--baseline",
    "baseline_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Report only findings that this baseline does not hold.",
)
@click.option(
    "--write-baseline",
    "write_baseline_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Record the current findings in FILE (with --baseline: only those still in it).",
)
def check(
    paths: tuple[str, ...],
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    target_version: str | None,
    min_confidence: str | None,
    output_format: str,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    stdin_filename: str | None,
    config_file: str | None,
    isolated: bool,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    show_source: bool,
    baseline_file: str | None,
    write_baseline_file: str | None,
) -> None:
    """Analyse files and folders (default: the current folder)."""
    use_stdin = stdin_filename is not None or paths == ("-",)
    if use_stdin and any(p != "-" for p in paths):
        _fail("--stdin-filename reads standard input; pass no other paths (or just `-`)")
    if fix and diff:
        _fail("--fix and --diff cannot be used together")
    if write_baseline_file is not None and (diff or use_stdin):
        # --diff leaves the files as they are, so fingerprints of the fixed text would not
        # match them; a baseline of standard input has no file to belong to.
        _fail("--write-baseline records the files as they are; not with --diff or standard input")
    baseline = None
    if baseline_file is not None:
        try:
            baseline = Baseline.load(baseline_file)
        except BaselineError as err:
            _fail(str(err))
    recorder = Recorder(write_baseline_file) if write_baseline_file is not None else None
    targets = list(paths) or ["."]
    selection = Selection(
        select=_split_codes(select),
        ignore=_split_codes(ignore) or (),
        extend_select=_split_codes(extend_select) or (),
    )
    try:
        settings = resolve_settings(
            [stdin_filename] if use_stdin and stdin_filename else targets,
            config_file=config_file,
            isolated=isolated,
            cli_selection=selection,
            target_version=target_version,
            min_confidence=min_confidence,
        )
    except ConfigError as err:
        _fail(str(err))
    threshold = settings.threshold
    report = Report(
        output_format,
        statistics,
        show_source,
        RunOptions(fix=fix, unsafe_fixes=unsafe_fixes, diff=diff, min_confidence=threshold),
        use_stdin,
        baseline=baseline,
        recorder=recorder,
    )
    run_options = report.options
    if use_stdin:
        report.stdin_data = sys.stdin.buffer.read()
        outcome = process(report.stdin_data, stdin_filename or "-", settings, run_options)
        outcomes: Any = iter([outcome])
    else:
        sources = iter_sources(
            targets,
            root=settings.root,
            exclude=settings.exclude,
            extend_exclude=settings.extend_exclude,
        )
        cache = None
        if not no_cache:
            folder = cache_dir or os.path.join(settings.root, DEFAULT_CACHE_DIR)
            cache = Cache(folder, fingerprint(settings))
        outcomes = run(sources, settings, run_options, jobs=jobs or _cores(), cache=cache)
    status = report.consume(outcomes)
    report.summary(quiet)
    if status == EXIT_FINDINGS and exit_zero:
        status = EXIT_CLEAN
    sys.exit(status)


class Progress:
    """A one-line count of files done, on stderr, for a run on a terminal that takes a while.

    Only when stderr is a terminal, after the first seconds, and for the human formats; the
    line is cleared before anything else is printed, so it never runs into a diagnostic.
    """

    DELAY = 2.0
    INTERVAL = 0.2

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    @classmethod
    def for_terminal(cls, output_format: str) -> Progress:
        err = sys.stderr
        return cls(err if output_format in ("text", "grouped") and err.isatty() else None)

    def tick(self, done: int) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if now - self.started < self.DELAY or now - self.last < self.INTERVAL:
            return
        self.last = now
        self.stream.write(f"\rmemlint: {done} files checked")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.stream is not None and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


class Report:
    """Prints outcomes as they stream in and works out the exit status."""

    def __init__(
        self,
        output_format: str,
        statistics: bool,
        show_source: bool,
        options: RunOptions,
        use_stdin: bool,
        stdin_data: bytes | None = None,
        *,
        baseline: Baseline | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.statistics = statistics
        self.use_stdin = use_stdin
        self.stdin_data = stdin_data
        self.baseline = baseline
        self.recorder = recorder
        self.baseline_written = False
        # Only a baseline is written: the findings are recorded, not reported.
        self.recording_only = recorder is not None and baseline is None
        # With --fix on stdin, the fixed source owns stdout; diagnostics go to stderr.
        stream: TextIO = sys.stderr if (use_stdin and options.fix) else sys.stdout
        self.stream = stream
        self.reporter = reporter(output_format, stream, show_source=show_source)
        fingerprinting = baseline is not None or recorder is not None
        self.wants_source = show_source or self.reporter.needs_source or fingerprinting
        # Files with diagnostics are read again for their text, except after fixes that are
        # not written (--diff): the diagnostics then point into text that exists only here.
        self.options = dataclasses.replace(
            options, keep_source=self.wants_source and options.fixing
        )
        self.output_format = output_format
        self.totals = Totals()
        self.files = 0

    def consume(self, outcomes: Any) -> int:
        status = EXIT_CLEAN
        progress = Progress.for_terminal(self.output_format)
        for outcome in outcomes:
            if isinstance(outcome, PathError):
                progress.clear()
                click.echo(f"memlint: error: {outcome.display}: {outcome.message}", err=True)
                self.totals.errors += 1
                continue
            if outcome.diagnostics or outcome.errors or outcome.diff:
                progress.clear()  # the line would otherwise run into what is printed
            self.files += 1
            self._one(outcome)
            progress.tick(self.files)
        progress.clear()
        if self.recorder is not None:
            if self.baseline is not None:
                self.recorder.keep(self.baseline.unchecked())
            try:
                self.recorder.write()
                self.baseline_written = True
            except OSError as err:
                click.echo(
                    f"memlint: error: {self.recorder.path}: cannot write the baseline: "
                    f"{err.strerror or err}",
                    err=True,
                )
                self.totals.errors += 1
        if self.recording_only:
            pass  # the baseline is the output
        elif self.statistics:
            self._print_statistics()
        elif not self.options.diff:
            # With --diff the diff is the whole output: no diagnostics were added, and an
            # empty JSON array after it would claim there are none and spoil the patch.
            self.reporter.finish()
        if self.totals.errors:
            status = EXIT_ERROR
        elif self.recording_only:
            status = EXIT_CLEAN
        elif self.totals.diagnostics or (self.options.diff and self.totals.fixed):
            status = EXIT_FINDINGS
        return status

    def _source(self, outcome: FileOutcome) -> str | None:
        """The text the outcome's diagnostics point into."""
        if outcome.source is not None:
            return outcome.source
        if self.use_stdin:
            data = outcome.fixed_source if outcome.fixed_source is not None else self.stdin_data
            return decode_source(data) if data is not None else None
        return read_source(outcome.path)

    def _against_baseline(self, outcome: FileOutcome, source: str | None) -> Sequence[Diagnostic]:
        """The diagnostics to report: those the baseline does not hold; records them too."""
        diagnostics: Sequence[Diagnostic] = outcome.diagnostics
        prints = FileFingerprints(source)
        known = diagnostics
        if self.baseline is not None:
            diagnostics, known = self.baseline.split(outcome.path, diagnostics, prints)
        if self.recorder is not None:
            self.recorder.add(outcome.path, known, prints)
        return diagnostics

    def _one(self, outcome: FileOutcome) -> None:
        for error in outcome.errors:
            click.echo(f"memlint: {error}", err=True)
        self.totals.errors += len(outcome.errors)
        self.totals.fixed += outcome.fixed
        diagnostics: Sequence[Diagnostic] = outcome.diagnostics
        source = self._source(outcome) if diagnostics and self.wants_source else None
        if diagnostics and (self.baseline is not None or self.recorder is not None):
            diagnostics = self._against_baseline(outcome, source)
        if self.recording_only:
            return
        # Last, after the cache and the baseline: a view of the findings, not the findings.
        threshold = self.options.min_confidence
        shown = [d for d in diagnostics if d.confidence.at_least(threshold)]
        if len(shown) != len(diagnostics):
            self.totals.held_back.update(
                d.code for d in diagnostics if not d.confidence.at_least(threshold)
            )
            diagnostics = shown
        self.totals.count(diagnostics)
        if self.options.diff and outcome.diff:
            sys.stdout.write(outcome.diff)
        if self.use_stdin and self.options.fix:
            # Nothing fixed (or the file could not be decoded): echo the input unchanged, so
            # an editor or pipe that replaces the file with stdout never empties it.
            data = outcome.fixed_source
            sys.stdout.buffer.write(data if data is not None else self.stdin_data or b"")
            sys.stdout.flush()
        if not self.statistics and not self.options.diff:
            self.reporter.add(diagnostics, source)

    def _print_statistics(self) -> None:
        t = self.totals
        codes = set(t.by_code) | set(t.held_back)
        rows = sorted(codes, key=lambda code: (-t.by_code[code], -t.held_back[code], code))
        rules = registry.catalog()
        level = self.options.min_confidence.value
        if self.output_format == "json":
            import json

            table = [
                {
                    "code": code,
                    "name": rules[code].name,
                    "count": t.by_code[code],
                    "fixable": t.fixable_by_code[code],
                    "held_back": t.held_back[code],
                }
                for code in rows
            ]
            click.echo(json.dumps(table, indent=2), file=self.stream)
            return
        for code in rows:
            fixable = t.fixable_by_code[code]
            note = f"  [{fixable} fixable]" if fixable else ""
            if t.held_back[code]:
                note += f"  ({t.held_back[code]} below {level} confidence held back)"
            line = f"{t.by_code[code]:>6}  {code}  {rules[code].name}{note}"
            click.echo(line, file=self.stream)

    def summary(self, quiet: bool) -> None:
        if quiet:
            return
        for line in self._summary_lines():
            click.echo(line, err=True)

    def _baseline_lines(self) -> list[str]:
        lines = []
        if self.baseline is not None:
            if self.baseline.hidden:
                known = _plural(self.baseline.hidden, "finding")
                lines.append(f"{known} in the baseline not reported.")
            stale = self.baseline.stale()
            if stale:
                entries = _plural(stale, "baseline finding")
                path = self.baseline.path
                them = "it" if stale == 1 else "them"
                lines.append(
                    f"{entries} no longer found; `--baseline {path} --write-baseline {path}`"
                    f" drops {them}."
                )
        if self.recorder is not None and self.baseline_written:
            findings = _plural(self.recorder.findings(), "finding")
            files = _plural(self.recorder.files(), "file")
            lines.append(f"Wrote a baseline of {findings} in {files} to {self.recorder.path}.")
        return lines

    def _summary_lines(self) -> list[str]:
        t = self.totals
        if self.recording_only:
            errors = [f"{_plural(t.errors, 'error')} (see above)."] if t.errors else []
            return [*self._baseline_lines(), *errors]
        lines = []
        if t.fixed:
            verb = "Would fix" if self.options.diff else "Fixed"
            lines.append(f"{verb} {_plural(t.fixed, 'diagnostic')}.")
        if t.diagnostics:
            files = _plural(t.files_with_diagnostics, "file")
            hints = []
            # With --unsafe-fixes alone, a plain --fix would apply the unsafe fixes too.
            fixable = t.safe_fixable + (t.unsafe_fixable if self.options.unsafe_fixes else 0)
            if fixable and not self.options.fixing:
                hints.append(f"{fixable} fixable with --fix")
            if t.unsafe_fixable and not self.options.unsafe_fixes:
                hints.append(f"{t.unsafe_fixable} with --fix --unsafe-fixes")
            suffix = f" ({', '.join(hints)})" if hints else ""
            remaining = " would remain" if self.options.diff else " remain"
            remaining += "s" if t.diagnostics == 1 and not self.options.diff else ""
            head = f"{_plural(t.diagnostics, 'diagnostic')}"
            if self.options.fixing:
                lines.append(f"{head}{remaining} in {files}{suffix}.")
            else:
                lines.append(f"Found {head} in {files}{suffix}.")
        elif not t.errors and not self.options.diff:
            lines.append(f"All checks passed ({_plural(self.files, 'file')}).")
        held = sum(t.held_back.values())
        if held:
            level = self.options.min_confidence.value
            lower = "low" if level == "medium" else "medium` or `low"
            finding = _plural(held, "finding")
            lines.append(
                f"{finding} below {level} confidence held back (`--min-confidence {lower}`"
                " shows them)."
            )
        lines += self._baseline_lines()
        if t.errors:
            lines.append(f"{_plural(t.errors, 'error')} (see above).")
        return lines


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _fail(message: str) -> None:
    click.echo(f"memlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@main.command()
def rules() -> None:
    """List every rule: code, name, default, fix and summary."""
    rows = [("code", "name", "default", "fix", "summary")]
    for rule in registry.catalog().values():
        default = "on" if rule.default_enabled else "opt-in"
        rows.append((rule.code, rule.name, default, rule.fix, rule.summary))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        click.echo("  ".join([*cells, row[4]]).rstrip())


@main.command(short_help="Show a rule's documentation, by code or by name.")
@click.argument("code")
def explain(code: str) -> None:
    """Show a rule's documentation (by code, e.g. MEM201, or by name)."""
    from memlint.docs import explain as render

    text = render(code)
    if text is None:
        _fail(f"unknown rule `{code}`; `memlint rules` lists them")
    click.echo(text)


@main.command(short_help="Run the language server for editors (LSP over stdio).")
@click.option(
    "--stdio",
    is_flag=True,
    help="Talk LSP over standard input and output (the only transport; clients pass it).",
)
def server(stdio: bool) -> None:
    """Run the language server, for editors: findings as you type, quick fixes, hover."""
    del stdio  # accepted because LSP clients commonly pass it; stdio is all there is
    if importlib.util.find_spec("pygls") is None:
        _fail("`memlint server` needs pygls: pip install 'memlint[lsp]'")
    from memlint.server.app import serve

    sys.exit(serve())


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
