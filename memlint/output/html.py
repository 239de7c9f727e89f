"""`--format html`: one self-contained page for the audit of a codebase (no script, no asset)."""

from __future__ import annotations

import collections
import difflib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from memlint import __version__
from memlint.catalog import RULES
from memlint.diagnostics import Applicability, Confidence, Diagnostic
from memlint.fixes import apply_edits
from memlint.sourcetext import source_lines

CONTEXT = 2  # lines of code shown above and below a finding
MAX_SPAN = 12  # lines of a long flagged span shown before it is cut
CONFIDENCES = tuple(c.value for c in Confidence)
_CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class FrameLine:
    number: int
    before: str  # text before the flagged part of this line
    flagged: str
    after: str


@dataclass(frozen=True)
class Finding:
    """What the page shows of a diagnostic: plain strings, so no source file stays in memory."""

    diagnostic: Diagnostic
    frame: tuple[FrameLine, ...]
    diff: tuple[str, ...]  # the fix as unified diff lines, without the file headers


def _frame(d: Diagnostic, lines: Sequence[str]) -> tuple[FrameLine, ...]:
    first = max(d.line - CONTEXT, 1)
    last_flagged = min(d.end_line, d.line + MAX_SPAN - 1)
    last = min(last_flagged + CONTEXT, len(lines))
    frame = []
    for number in range(first, last + 1):
        text = lines[number - 1]
        if not d.line <= number <= last_flagged:
            frame.append(FrameLine(number, text, "", ""))
            continue
        start = d.column - 1 if number == d.line else 0
        end = d.end_column - 1 if number == d.end_line else len(text)
        # An empty span (a point) still shows where it is: mark one character.
        end = max(end, start + 1)
        frame.append(FrameLine(number, text[:start], text[start:end], text[end:]))
    return tuple(frame)


def _diff(d: Diagnostic, source: str) -> tuple[str, ...]:
    if d.fix is None:
        return ()
    try:
        fixed = apply_edits(source, d.fix.edits)
    except IndexError:  # positions beyond the text: a file changed since it was analysed
        return ()
    lines = difflib.unified_diff(source_lines(source), source_lines(fixed), n=CONTEXT, lineterm="")
    return tuple(line for line in lines if not line.startswith(("---", "+++")))


def _inline(text: str) -> str:
    """Escaped text with Markdown code spans (`x`) as <code>."""
    return _CODE_SPAN.sub(r"<code>\1</code>", html.escape(text))


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


STYLE = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-soft: #f6f8fa;
  --high: #cf222e; --medium: #bc4c00; --low: #9a6700; --add: #dafbe1; --del: #ffebe9;
  --mark: #fff8c5; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  margin: 0 auto; padding: 24px; max-width: 1100px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 16px; margin: 24px 0 8px; font-family: ui-monospace, monospace; }
.muted { color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 13px; }
code { background: var(--bg-soft); padding: 0 3px; border-radius: 3px; }
.finding { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 12px;
  padding: 8px 12px; }
.finding header { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; }
.badge { font: 600 12px/1.6 ui-monospace, monospace; padding: 0 6px; border-radius: 10px;
  border: 1px solid var(--line); background: var(--bg-soft); }
.code { color: #fff; background: #0969da; border-color: #0969da; }
.error .code { background: var(--high); border-color: var(--high); }
.conf-high { color: var(--high); } .conf-medium { color: var(--medium); }
.conf-low { color: var(--low); }
.message { margin: 6px 0; }
pre { margin: 6px 0; padding: 6px 0; background: var(--bg-soft); border-radius: 4px;
  overflow-x: auto; }
pre span.l { display: block; padding: 0 10px; white-space: pre; }
pre .n { display: inline-block; min-width: 4ch; color: var(--muted); text-align: right;
  margin-right: 12px; user-select: none; }
pre .hit { background: #fff1e5; }
mark { background: var(--mark); outline: 1px solid #d4a72c; }
pre .add { background: var(--add); } pre .del { background: var(--del); }
pre .hunk { color: var(--muted); }
.help { margin: 4px 0; } .fixtitle { margin: 8px 0 0; font-weight: 600; }
ul.files { columns: 2; padding-left: 20px; }
svg text { font: 12px ui-monospace, monospace; fill: var(--fg); }
.legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
"""

_COLOURS = {"high": "#cf222e", "medium": "#fb8f44", "low": "#d4a72c"}


class HtmlReporter:
    """Holds what each finding shows until the end, where the summary comes first."""

    needs_source = True  # code frames and fix diffs

    def __init__(self, stream: TextIO, *, show_source: bool = False) -> None:
        self.stream = stream
        self.files: dict[str, list[Finding]] = {}
        self.checked = 0

    def add(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        self.checked += 1
        if not diagnostics:
            return
        lines = source_lines(source) if source is not None else []
        findings = self.files.setdefault(diagnostics[0].path, [])
        for d in diagnostics:
            diff = _diff(d, source) if source is not None else ()
            findings.append(Finding(d, _frame(d, lines), diff))

    # -- the page ---------------------------------------------------------------------------

    def finish(self) -> None:
        self.stream.write(self.page())
        self.stream.flush()

    def page(self) -> str:
        findings = [f for path in sorted(self.files) for f in self.files[path]]
        total = len(findings)
        title = "memlint report"
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            # Nothing may load from anywhere: the report is read offline and archived.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            f"<h1>{title}</h1>",
            f'<p class="muted">{_plural(total, "finding")} in '
            f"{_plural(len(self.files), 'file')} of {_plural(self.checked, 'file')} checked"
            f" &middot; memlint {html.escape(__version__)}</p>",
        ]
        if total:
            parts += self._summary(findings)
            parts += self._file_list()
            parts += self._details()
        else:
            parts.append("<p>No findings: every checked file passed.</p>")
        parts += ["</body>", "</html>", ""]
        return "\n".join(parts)

    def _summary(self, findings: Sequence[Finding]) -> list[str]:
        by_rule: dict[str, collections.Counter[str]] = {}
        fixable: collections.Counter[str] = collections.Counter()
        by_confidence: collections.Counter[str] = collections.Counter()
        for finding in findings:
            d = finding.diagnostic
            by_rule.setdefault(d.code, collections.Counter())[d.confidence.value] += 1
            by_confidence[d.confidence.value] += 1
            if d.fix is not None:
                fixable[d.code] += 1
        info = {rule.code: rule for rule in RULES}
        order = sorted(by_rule, key=lambda code: (-sum(by_rule[code].values()), code))
        rows = [
            "<h2>Summary</h2>",
            self._chart(order, by_rule),
            "<table>",
            "<tr><th>Code</th><th>Name</th><th>Findings</th><th>Fixable</th><th>What</th></tr>",
        ]
        for code in order:
            rule = info.get(code)
            rows.append(
                f"<tr><td><code>{html.escape(code)}</code></td>"
                f"<td>{html.escape(rule.name if rule else '')}</td>"
                f'<td class="num">{sum(by_rule[code].values()):,}</td>'
                f'<td class="num">{fixable[code]:,}</td>'
                f"<td>{_inline(rule.summary) if rule else ''}</td></tr>"
            )
        rows += [
            "</table>",
            "<table>",
            "<tr><th>Confidence</th><th>Findings</th></tr>",
        ]
        for confidence in CONFIDENCES:
            rows.append(
                f'<tr><td class="conf-{confidence}">{confidence}</td>'
                f'<td class="num">{by_confidence[confidence]:,}</td></tr>'
            )
        rows.append("</table>")
        return rows

    def _chart(self, order: Sequence[str], by_rule: dict[str, collections.Counter[str]]) -> str:
        """Findings per rule as horizontal bars, each split by confidence."""
        label, bar_area, row, top = 70, 560, 24, 8
        most = max(sum(counts.values()) for counts in by_rule.values())
        height = top * 2 + row * len(order)
        width = label + bar_area + 60
        shapes = []
        for number, code in enumerate(order):
            y = top + number * row
            shapes.append(f'<text x="0" y="{y + 15}">{html.escape(code)}</text>')
            x = float(label)
            for confidence in CONFIDENCES:
                count = by_rule[code][confidence]
                if not count:
                    continue
                length = bar_area * count / most
                shapes.append(
                    f'<rect x="{x:.1f}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
                    f'fill="{_COLOURS[confidence]}"><title>{code}: {count} {confidence}'
                    "</title></rect>"
                )
                x += length
            total = sum(by_rule[code].values())
            shapes.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{total:,}</text>')
        legend = "".join(
            f'<span><i class="swatch" style="background:{colour}"></i>{confidence}</span>'
            for confidence, colour in _COLOURS.items()
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="Findings per rule, by confidence">{"".join(shapes)}</svg>'
            f'<div class="legend muted">{legend}</div>'
        )

    def _file_list(self) -> list[str]:
        items = [
            f'<li><a href="#file-{number}">{html.escape(path)}</a> '
            f'<span class="muted">({len(self.files[path])})</span></li>'
            for number, path in enumerate(sorted(self.files))
        ]
        return ["<h2>Files</h2>", '<ul class="files">', *items, "</ul>"]

    def _details(self) -> list[str]:
        parts = ["<h2>Findings</h2>"]
        for number, path in enumerate(sorted(self.files)):
            findings = self.files[path]
            parts.append(
                f'<section id="file-{number}"><h3>{html.escape(path)} '
                f'<span class="muted">({_plural(len(findings), "finding")})</span></h3>'
            )
            parts += [self._finding(f) for f in findings]
            parts.append("</section>")
        return parts

    def _finding(self, finding: Finding) -> str:
        d = finding.diagnostic
        where = f"{d.path}:{d.line}:{d.column}"
        parts = [
            f'<article class="finding {d.severity.value}">',
            f'<header><span class="badge code">{html.escape(d.code)}</span>'
            f"<strong>{html.escape(d.name)}</strong>"
            f'<span class="muted">{html.escape(where)}</span>'
            f'<span class="badge conf-{d.confidence.value}">'
            f"{d.confidence.value} confidence</span></header>",
            f'<p class="message">{_inline(d.message)}</p>',
        ]
        if finding.frame:
            parts.append(_frame_html(finding.frame))
        if d.suggestion and d.fix is None:
            parts.append(f'<p class="help"><strong>Help:</strong> {_inline(d.suggestion)}</p>')
        if d.fix is not None:
            kind = "safe fix" if d.fix.applicability is Applicability.SAFE else "unsafe fix"
            parts.append(f'<p class="fixtitle">{_inline(d.fix.message)} ({kind})</p>')
            if finding.diff:
                parts.append(_diff_html(finding.diff))
        parts.append("</article>")
        return "\n".join(parts)


def _frame_html(frame: Sequence[FrameLine]) -> str:
    rows = []
    for line in frame:
        text = html.escape(line.before)
        css = "l"
        if line.flagged:
            css = "l hit"
            text += f"<mark>{html.escape(line.flagged)}</mark>{html.escape(line.after)}"
        rows.append(f'<span class="{css}"><span class="n">{line.number}</span>{text}</span>')
    return f'<pre class="frame">{"".join(rows)}</pre>'


def _diff_html(diff: Sequence[str]) -> str:
    css = {"+": "l add", "-": "l del", "@": "l hunk"}
    rows = [f'<span class="{css.get(line[:1], "l")}">{html.escape(line)}</span>' for line in diff]
    return f'<pre class="diff">{"".join(rows)}</pre>'
