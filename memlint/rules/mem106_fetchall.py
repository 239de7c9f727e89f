"""MEM106: every row of an unlimited database query loaded into memory at once."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import libcst as cst
from libcst.metadata import PositionProvider

from memlint.diagnostics import Confidence
from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, names, provenance

if TYPE_CHECKING:
    from memlint.settings import Settings

_Shape = Literal["fetchall", "list", "len", "all"]

# Names that, by long convention, hold a DB-API cursor (`cr` is Odoo's).
_CURSOR_NAME = re.compile(r"^_*(?:cursor|cur|curs|cr)$|_(?:cursor|cur)$", re.IGNORECASE)
# Calls that return a cursor (or a result with `fetchall`): `conn.cursor()`,
# `conn.execute(sql)` (sqlite3, SQLAlchemy), `contextlib.closing(conn.cursor())`.
_CURSOR_METHODS = frozenset({"cursor", "execute"})
_CLOSING = frozenset({"contextlib.closing"})

# Django queryset methods that return another queryset (still lazy, still unbounded).
_QUERYSET_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "order_by",
        "select_related",
        "prefetch_related",
        "values",
        "values_list",
        "annotate",
        "alias",
        "distinct",
        "only",
        "defer",
        "using",
        "reverse",
        "select_for_update",
        "extra",
        "union",
        "intersection",
        "difference",
    }
)
_MATERIALIZERS = {"builtins.list": "list", "builtins.tuple": "list", "builtins.len": "len"}

# SQLAlchemy methods that keep a query (or a result) unbounded.
_QUERY_METHODS = frozenset(
    {
        "filter",
        "filter_by",
        "where",
        "join",
        "outerjoin",
        "join_from",
        "order_by",
        "group_by",
        "having",
        "options",
        "distinct",
        "select_from",
        "with_entities",
        "add_columns",
        "add_entity",
        "execution_options",
        "params",
        "correlate",
        "union",
        "union_all",
        "populate_existing",
        "with_for_update",
        "enable_eagerloads",
        "offset",
        # Result methods: `session.execute(stmt).scalars().all()`.
        "scalars",
        "unique",
        "mappings",
        "tuples",
        "columns",
    }
)
# Methods that bound a statement's rows.
_LIMITS = frozenset({"limit", "slice", "fetch", "first", "one", "one_or_none", "get"})
_STATEMENT_ROOTS = frozenset({"execute", "scalars"})

_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_SQL_QUERY = re.compile(r"^[\s(]*(?:SELECT|WITH|VALUES|TABLE)\b")
_SQL_BOUNDED = re.compile(r"\bLIMIT\b|\bFETCH\s+(?:FIRST|NEXT)\b|\bTOP\b|\bROWNUM\b")
# Catalog tables: their rows are the schema, bounded by the code that made it.
_SQL_CATALOG = re.compile(
    r"\b(?:SQLITE_MASTER|SQLITE_SCHEMA|SQLITE_TEMP_MASTER|SQLITE_SEQUENCE|SQLITE_STAT\d"
    r"|INFORMATION_SCHEMA|PG_CATALOG"
    r"|PRAGMA_\w+)\b"
)
_SQL_FROM = re.compile(r"\bFROM\b")
_SQL_GROUP = re.compile(r"\bGROUP\s+BY\b")
_AGGREGATE = re.compile(r"^(?:COUNT|SUM|MIN|MAX|AVG|TOTAL|GROUP_CONCAT|STRING_AGG|ARRAY_AGG)\s*\(")

_SUGGESTIONS: dict[_Shape, str] = {
    "fetchall": (
        "Iterate the cursor (`for row in cur:`) or fetch in batches with `fetchmany(n)`, or "
        "bound the query with `LIMIT`"
    ),
    "list": (
        "Iterate with `.iterator(chunk_size=2000)`, or slice the queryset (`[:n]`) to bound it"
    ),
    "len": "Count in the database with `.count()`",
    "all": (
        "Iterate in batches with `.yield_per(n)` (`execution_options(yield_per=n)` in 2.0), "
        "or bound the query with `.limit(n)`"
    ),
}
_COSTS: dict[_Shape, str] = {
    "fetchall": "loads every row of the result into a list at once, so memory grows with the table",
    "list": "loads every row of the queryset into memory at once, so memory grows with the table",
    "len": "loads every row of the queryset into memory just to count them",
    "all": (
        "loads every row of an unlimited query into a list at once, so memory grows with the table"
    ),
}
_SHOWN = 48


@dataclass(frozen=True)
class _Found:
    shape: _Shape
    confidence: Confidence


@dataclass(frozen=True)
class _Cursor:
    sql: cst.BaseExpression | None  # what it executed, when it was made by `execute(sql)`


def _is_text(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def _sql_words(sql: str) -> str:
    return " ".join(_SQL_COMMENT.sub(" ", sql).upper().split())


def _select_list(sql: str) -> list[str]:
    """The top-level items between the first SELECT and its FROM."""
    start = sql.find("SELECT")
    if start < 0:
        return []
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for index in range(start + len("SELECT"), len(sql)):
        char = sql[index]
        if depth == 0 and sql.startswith(" FROM", index):
            break
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return items


def bounded_sql(sql: str) -> bool:
    """Whether a SQL text returns a bounded number of rows, or no rows of data at all.

    Bounded: not a query (`PRAGMA`, `SHOW`, `DESCRIBE`, `EXPLAIN`, `INSERT`, ...), a
    `LIMIT`/`FETCH FIRST`/`TOP`/`ROWNUM`, a catalog table (`sqlite_master`,
    `information_schema`, ...), no `FROM` (`SELECT 1`), or only aggregates without
    `GROUP BY` (`SELECT COUNT(*) FROM t`).
    """
    words = _sql_words(sql)
    if not _SQL_QUERY.match(words):
        return True
    if _SQL_BOUNDED.search(words) or _SQL_CATALOG.search(words):
        return True
    if not _SQL_FROM.search(words):
        return True
    if _SQL_GROUP.search(words):
        return False
    items = _select_list(words)
    return bool(items) and all(_AGGREGATE.match(item) for item in items)


class Fetchall(Rule):
    """
    ## What it does
    Flags code that loads every row of a database query into memory at once:

    - DB-API `fetchall()` (and aiosqlite's `execute_fetchall(sql)`) on a cursor: one bound
      by `conn.cursor()` or `conn.execute(sql)` (sqlite3, SQLAlchemy connections), also
      through `with conn.cursor() as cur` and `contextlib.closing(...)`, one annotated with
      a type named `Cursor`, or `conn.execute(sql).fetchall()` in one expression. A
      receiver whose binding is not seen but whose name is a cursor's by convention
      (`cursor`, `cur`, `curs`, `cr`, `*_cursor`, `self.cursor`) is flagged with medium
      confidence;
    - Django: `list(qs)`, `tuple(qs)` and `len(qs)` on a queryset, that is a chain of
      queryset methods (`all`, `filter`, `exclude`, `order_by`, `values_list`, ...) on a
      manager reached as `<Model>.objects`, directly or through a local name;
    - SQLAlchemy: `.all()` on an unlimited query: `session.query(...)...all()`, Flask's
      `Model.query...all()`, `session.execute(select(...)).scalars().all()` and
      `session.scalars(stmt).all()` (through local names too).

    Not flagged: a query whose rows are bounded: SQL text (a literal, an f-string's literal
    parts, a constant, a `text(...)`, or the last assignment above the use of a name given
    several queries in turn) that is not a query (`PRAGMA`, `SHOW`, `INSERT`), has a
    `LIMIT` (`FETCH FIRST`, `TOP`), reads a catalog (`sqlite_master`, `sqlite_sequence`,
    `information_schema`), has no `FROM`, or selects only aggregates without `GROUP BY`; a
    queryset sliced (`[:n]`), or ended by `.first()`, `.get()`, `.count()`, `.exists()`;
    a SQLAlchemy query with `.limit(n)`, `.slice()`, `.first()`, `.one()`,
    `.get()`; `fetchmany(n)`, `fetchone()`, iterating a cursor, `.iterator()`,
    `yield_per`. A `fetchall` of your own that takes arguments (a wrapper that runs
    SQL) is not DB-API's. A Django queryset iterated by a `for` is not flagged either
    (common, and the fix is the same `.iterator()`), nor are related managers
    (`author.books.all()`), which cannot be told from other objects without a model
    registry.

    This rule is opt-in (`--select MEM106`): many queries are bounded by the data (a
    lookup by a unique key, a table of a few dozen rows) in ways no linter can see. So the
    confidence is medium, unless the database file is known: high for one named on the
    command line (`sqlite3.connect(sys.argv[1])`), low for one bundled with the package
    (`sqlite3.connect(os.path.join(os.path.dirname(__file__), "zones.db"))`) and in test
    code.

    ## Why is this bad?
    `fetchall()`, `list(queryset)` and `.all()` build a list holding every row before the
    first one is used: memory grows with the table, and a report that ran in a second on a
    test database is killed in production by a table of ten million rows. Django caches
    every model instance of an evaluated queryset, and `len(qs)` builds them all just to
    count them. A cursor iterated row by row, `fetchmany(n)`, `.iterator()` and
    `yield_per(n)` hold one batch at a time (with a server-side cursor where the driver
    needs one: psycopg's named cursors, `stream_results=True`).

    ## Example
    ```python
    import sqlite3

    def export(path, out):
        conn = sqlite3.connect(path)
        cur = conn.cursor()
        cur.execute("SELECT id, payload FROM events")
        for row in cur.fetchall():
            out.write(f"{row[0]}\\t{row[1]}\\n")
    ```

    ## Use instead
    ```python
    import sqlite3

    def export(path, out):
        conn = sqlite3.connect(path)
        cur = conn.cursor()
        cur.execute("SELECT id, payload FROM events")
        for row in cur:
            out.write(f"{row[0]}\\t{row[1]}\\n")
    ```

    ## References
    - [PEP 249: fetchmany, fetchall](https://peps.python.org/pep-0249/#fetchmany)
    - [Django: QuerySet.iterator](https://docs.djangoproject.com/en/stable/ref/models/querysets/#iterator)
    - [Django: when querysets are evaluated](https://docs.djangoproject.com/en/stable/ref/models/querysets/#when-querysets-are-evaluated)
    - [SQLAlchemy: yield_per](https://docs.sqlalchemy.org/en/20/orm/queryguide/api.html#orm-queryguide-yield-per)
    """

    code = "MEM106"
    name = "fetchall"
    summary = "Every row of an unlimited database query loaded into memory at once"
    default_enabled = False
    # The DB-API method (`execute_fetchall` too), and the attributes that start a Django
    # queryset or a SQLAlchemy query or statement: always reached with a dot. The bare
    # words `query` and `objects` are common in prose.
    trigger_pattern = r"fetchall\b|\.\s*(?:objects|query|execute|scalars)\b"
    trigger_literals = ("fetchall", "objects", "query", "execute", "scalars")
    METADATA_DEPENDENCIES = (PositionProvider, *names.PROVIDERS, *bindings.PROVIDERS)
    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The calls `_check` may report: `.fetchall()`, `.execute_fetchall(...)`,
        `.all()`, and, when some attribute is named `objects` (a Django manager), a call of
        one argument that may be `list`, `tuple` or `len`."""
        imports = names.Imports.of(tree)
        calls = astindex.nodes(tree, ast.Call)
        managers = any(a.attr == "objects" for a in astindex.nodes(tree, ast.Attribute))
        return [
            call
            for call in calls
            if (
                isinstance(call.func, ast.Attribute)
                and call.func.attr in ("fetchall", "execute_fetchall", "all")
            )
            or (
                managers
                and len(call.args) + len(call.keywords) == 1
                and imports.may_refer(call.func, _MATERIALIZERS)
            )
        ]

    cases = (
        # Iterating the cursor, or fetching in batches, holds one batch.
        Valid(
            """
            import sqlite3
            def export(conn, out):
                cur = conn.cursor()
                cur.execute("SELECT * FROM events")
                for row in cur:
                    out.write(repr(row))
                while rows := cur.fetchmany(1000):
                    out.write(repr(rows))
            """
        ),
        # SQL that returns few rows: LIMIT, an aggregate, a PRAGMA, the catalog.
        Valid(
            """
            import sqlite3
            def inspect(conn: sqlite3.Connection, table):
                top = conn.execute("SELECT * FROM events ORDER BY ts DESC LIMIT 10").fetchall()
                n = conn.execute(f"SELECT COUNT(*), MAX(ts) FROM {table}").fetchall()
                cols = conn.execute(f"PRAGMA table_info({table})").fetchall()
                tables = conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).fetchall()
                return top, n, cols, tables
            """
        ),
        # A `fetchall` of your own that takes the SQL is not DB-API's.
        Valid(
            """
            class Db:
                def fetchall(self, sql, *params): ...
            def users(db: Db):
                return db.fetchall("SELECT * FROM users")
            """
        ),
        # A receiver that is not known, or named, to be a cursor.
        Valid(
            """
            def drain(source):
                return source.fetchall()
            """
        ),
        # A sliced queryset, and aggregates done in the database.
        Valid(
            """
            def recent(Order):
                latest = list(Order.objects.order_by("-created")[:20])
                total = Order.objects.filter(paid=True).count()
                return latest, total
            """
        ),
        # A bounded SQLAlchemy query, and a pandas `query` (a string expression).
        Valid(
            """
            def first_page(session, User, df):
                page = session.query(User).order_by(User.id).limit(50).all()
                flags = df.query("score > 0.5").all()
                return page, flags
            """
        ),
        # Iterating a queryset is not materialising it in a list here.
        Valid(
            """
            def names(Author):
                for author in Author.objects.all():
                    yield author.name
            """
        ),
        Invalid(
            """
            import sqlite3
            def export(path):
                conn = sqlite3.connect(path)
                cur = conn.cursor()
                cur.execute("SELECT id, payload FROM events")
                return cur.fetchall()
            """,
            line=6,
            column=12,
        ),
        Invalid(
            """
            def rows(conn, table):
                return conn.execute(f"SELECT * FROM {table}").fetchall()
            """,
            line=2,
            column=12,
        ),
        # A psycopg cursor as a context manager; the SQL is not a literal.
        Invalid(
            """
            def load(conn, query):
                with conn.cursor() as cur:
                    cur.execute(query)
                    return cur.fetchall()
            """,
            line=4,
        ),
        # A cursor known only by its conventional name: medium confidence.
        Invalid(
            """
            class Repo:
                def all_users(self):
                    self.cursor.execute("SELECT * FROM users")
                    return self.cursor.fetchall()
            """,
            line=4,
        ),
        Invalid(
            """
            def everyone(User):
                return list(User.objects.filter(is_active=True).order_by("name"))
            """,
            line=2,
            column=12,
        ),
        Invalid(
            """
            def count(Order):
                orders = Order.objects.exclude(status="void")
                return len(orders)
            """,
            line=3,
        ),
        Invalid(
            """
            def active(session, User):
                return session.query(User).filter(User.active.is_(True)).all()
            """,
            line=2,
        ),
        Invalid(
            """
            from sqlalchemy import select
            async def users(session, User):
                result = await session.execute(select(User).where(User.active))
                return result.scalars().all()
            """,
            line=4,
        ),
        # -- provenance: the rows come from the database the cursor's connection opened ---
        # A database file named on the command line: high.
        Invalid(
            """
            import sqlite3
            import sys
            def dump():
                conn = sqlite3.connect(sys.argv[1])
                cur = conn.cursor()
                cur.execute("SELECT * FROM events")
                return cur.fetchall()
            """,
            confidence=Confidence.HIGH,
            because="reads a path given on the command line (`sys.argv`)",
        ),
        # A database bundled with the package: low.
        Invalid(
            """
            import os
            import sqlite3
            DB = os.path.join(os.path.dirname(__file__), "zones.db")
            def zones():
                return sqlite3.connect(DB).execute("SELECT * FROM zones").fetchall()
            """,
            confidence=Confidence.LOW,
            because="reads a file of the package itself (found from `__file__`)",
        ),
        # A server's database: its size is not known here.
        Invalid(
            """
            import psycopg
            def users(dsn):
                with psycopg.connect(dsn) as conn:
                    return conn.execute("SELECT * FROM users").fetchall()
            """,
            confidence=Confidence.MEDIUM,
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._functions: list[int] = [0]
        # The SQL of the last `<receiver>.execute(sql)` seen, by function and receiver code.
        self._executed: dict[tuple[int, str], cst.BaseExpression] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(id(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        found = self._check(node)
        if found is None:
            return
        message = self._message(node, found.shape)
        suggestion = _SUGGESTIONS[found.shape]
        # The rows come from where the cursor's connection does (`sqlite3.connect(path)`).
        rows = node.func.value if isinstance(node.func, cst.Attribute) else node.args[0].value
        self.report(
            node,
            message,
            suggestion=suggestion,
            confidence=found.confidence,
            provenance=provenance.of_source(self, rows),
        )

    def _check(self, call: cst.Call) -> _Found | None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return self._materialized(call)
        method = func.attr.value
        if method == "execute" and call.args and not call.args[0].star:
            self._executed[(self._functions[-1], self._code(func.value))] = call.args[0].value
            return None
        if method == "fetchall" and not call.args:
            return self._fetchall(func.value)
        if method == "execute_fetchall" and call.args:
            sql = call.args[0].value
            return None if self._bounded(sql) else _Found("fetchall", Confidence.HIGH)
        if method == "all" and not call.args:
            return self._sqlalchemy(func.value)
        return None

    # -- DB-API -------------------------------------------------------------------------

    def _fetchall(self, receiver: cst.BaseExpression) -> _Found | None:
        if isinstance(receiver, cst.Await):
            receiver = receiver.expression
        if isinstance(receiver, cst.Call):
            made = self._cursor_call(receiver)
            if made is None or (made.sql is not None and self._bounded(made.sql)):
                return None
            return _Found("fetchall", Confidence.HIGH)
        if not isinstance(receiver, (cst.Name, cst.Attribute)):
            return None
        sql = self._executed.get((self._functions[-1], self._code(receiver)))
        if sql is not None and self._bounded(sql):
            return None
        if isinstance(receiver, cst.Name):
            known = self._cursor_name(receiver)
            if known is not None:
                # `cur = conn.execute(sql)`, not executed again since.
                if sql is None and known.sql is not None and self._bounded(known.sql):
                    return None
                return _Found("fetchall", Confidence.HIGH)
        spelled = receiver.value if isinstance(receiver, cst.Name) else receiver.attr.value
        if _CURSOR_NAME.search(spelled):
            return _Found("fetchall", Confidence.MEDIUM)
        return None

    def _cursor_call(self, call: cst.Call) -> _Cursor | None:
        """The cursor a call makes, with the SQL it executes; None for any other call."""
        if names.resolves_to(self, call, _CLOSING) is not None and call.args:
            inner = call.args[0].value
            return self._cursor_call(inner) if isinstance(inner, cst.Call) else None
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _CURSOR_METHODS:
            return None
        if func.attr.value == "execute" and call.args and not call.args[0].star:
            return _Cursor(call.args[0].value)
        return _Cursor(None)

    def _cursor_name(self, name: cst.Name) -> _Cursor | None:
        """The cursor a name holds when every binding of it is one, with the SQL of the
        `cur = conn.execute(sql)` that reaches the use (the last one above it); None when
        it is not known to be a cursor."""
        found = bindings.name_bindings(self, name)
        if found is None or not found.bindings:
            return None
        used = self._start(name)
        reaching: tuple[tuple[int, int], cst.BaseExpression | None] | None = None
        for binding in found.bindings:
            bound = self._start(binding.node)
            if binding.annotation is not None and self._cursor_annotation(binding.annotation):
                if bound < used and (reaching is None or bound > reaching[0]):
                    reaching = bound, None
                continue
            if binding.kind not in ("assign", "annassign", "with", "walrus"):
                return None
            value = binding.value
            if isinstance(value, cst.Await):
                value = value.expression
            if not isinstance(value, cst.Call):
                return None
            made = self._cursor_call(value)
            if made is None:
                return None
            if bound < used and (reaching is None or bound > reaching[0]):
                reaching = bound, made.sql
        return _Cursor(reaching[1] if reaching is not None else None)

    def _cursor_annotation(self, annotation: cst.BaseExpression) -> bool:
        members = names.annotation_members(self, annotation) or []
        if len(members) != 1:
            return False
        shown = names.dotted(annotation)
        resolved = {q.rsplit(".", 1)[-1] for q in members[0]} | {shown.rsplit(".", 1)[-1]}
        return any(part.lower().endswith("cursor") for part in resolved if part)

    # -- SQL text -----------------------------------------------------------------------

    def _bounded(self, sql: cst.BaseExpression) -> bool:
        text = self._sql_text(sql, 0)
        return text is not None and bounded_sql(text)

    def _sql_text(self, expr: cst.BaseExpression, depth: int) -> str | None:
        """The literal text of a SQL expression, with `?` for the parts not known."""
        if depth > 4:
            return None
        if isinstance(expr, cst.SimpleString):
            value = expr.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(expr, cst.ConcatenatedString):
            left = self._sql_text(expr.left, depth + 1)
            right = self._sql_text(expr.right, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(expr, cst.FormattedString):
            return "".join(
                part.value if isinstance(part, cst.FormattedStringText) else " ? "
                for part in expr.parts
            )
        if isinstance(expr, cst.BinaryOperation):
            left = self._sql_text(expr.left, depth + 1)
            if isinstance(expr.operator, cst.Modulo):
                return left
            if isinstance(expr.operator, cst.Add):
                right = self._sql_text(expr.right, depth + 1)
                if left is None and right is None:
                    return None
                return (left or " ? ") + (right or " ? ")
            return None
        if isinstance(expr, cst.Call):
            return self._sql_call(expr, depth)
        if isinstance(expr, cst.Name):
            return self._sql_name(expr, depth)
        return None

    def _sql_call(self, call: cst.Call, depth: int) -> str | None:
        func = call.func
        # `"...".format(...)`
        if isinstance(func, cst.Attribute) and func.attr.value == "format":
            return self._sql_text(func.value, depth + 1)
        # `text("...")` (SQLAlchemy), `sql.SQL("...")` (psycopg)
        if names.dotted(func).rsplit(".", 1)[-1] in ("text", "SQL") and len(call.args) == 1:
            return self._sql_text(call.args[0].value, depth + 1)
        return None

    def _sql_name(self, name: cst.Name, depth: int) -> str | None:
        """The SQL a name holds: its one binding (here or at module level), or, for a name
        assigned several queries in turn (`q = "..."` ... `q = "..."`), the last assignment
        above the use."""
        found = bindings.name_bindings(self, name) or bindings.global_bindings(self, name)
        if found is None or not found.bindings:
            return None
        if any(b.kind not in ("assign", "annassign") or b.value is None for b in found.bindings):
            return None
        binding = found.bindings[0]
        if len(found.bindings) > 1:
            used = self._start(name)
            above = [b for b in found.bindings if self._start(b.node) < used]
            if not above:
                return None
            binding = max(above, key=lambda b: self._start(b.node))
        assert binding.value is not None
        return self._sql_text(binding.value, depth + 1)

    def _start(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.get_metadata(PositionProvider, node).start
        return position.line, position.column

    # -- Django -------------------------------------------------------------------------

    def _materialized(self, call: cst.Call) -> _Found | None:
        if len(call.args) != 1 or call.args[0].star or call.args[0].keyword is not None:
            return None
        qualified = names.resolves_to(self, call, _MATERIALIZERS)
        if qualified is None:
            return None
        if not self._queryset(call.args[0].value, 0):
            return None
        shape: _Shape = "len" if _MATERIALIZERS[qualified] == "len" else "list"
        return _Found(shape, Confidence.HIGH)

    def _queryset(self, expr: cst.BaseExpression, depth: int) -> bool:
        """Whether `expr` is an unsliced queryset of `<Model>.objects`."""
        if depth > 8:
            return False
        if isinstance(expr, cst.Name):
            found = bindings.name_bindings(self, expr)
            if found is None or len(found.bindings) != 1:
                return False
            binding = found.bindings[0]
            if binding.kind not in ("assign", "annassign") or binding.value is None:
                return False
            return self._queryset(binding.value, depth + 1)
        if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute):
            return False
        func = expr.func
        if func.attr.value not in _QUERYSET_METHODS:
            return False
        receiver = func.value
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == "objects":
            return _model(receiver.value)
        return self._queryset(receiver, depth + 1)

    # -- SQLAlchemy ---------------------------------------------------------------------

    def _sqlalchemy(self, receiver: cst.BaseExpression) -> _Found | None:
        found = self._unlimited(receiver, 0)
        return _Found("all", found) if found is not None else None

    def _unlimited(self, expr: cst.BaseExpression, depth: int) -> Confidence | None:
        """How sure we are that `expr` is an unlimited SQLAlchemy query or result."""
        if depth > 12:
            return None
        if isinstance(expr, cst.Await):
            return self._unlimited(expr.expression, depth + 1)
        if isinstance(expr, cst.Name):
            found = bindings.name_bindings(self, expr)
            if found is None or len(found.bindings) != 1:
                return None
            binding = found.bindings[0]
            if binding.kind not in ("assign", "annassign") or binding.value is None:
                return None
            return self._unlimited(binding.value, depth + 1)
        if isinstance(expr, cst.Attribute):
            # Flask-SQLAlchemy: `User.query`, on a class (capitalised by convention).
            if expr.attr.value == "query" and isinstance(expr.value, cst.Name):
                return Confidence.MEDIUM if expr.value.value[:1].isupper() else None
            return None
        if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute):
            return None
        method = expr.func.attr.value
        if method == "query":
            # A query of entities; pandas' and search clients' `query` take a string.
            args = expr.args
            if not args or any(_is_text(arg.value) for arg in args):
                return None
            return Confidence.HIGH
        # `session.execute(stmt)`, `session.scalars(stmt)`; `result.scalars()` is a method
        # of the result.
        if method in _STATEMENT_ROOTS and expr.args:
            if expr.args[0].star:
                return None
            return None if self._bounded_statement(expr.args[0].value, depth) else Confidence.HIGH
        if method in _QUERY_METHODS:
            return self._unlimited(expr.func.value, depth + 1)
        return None

    def _bounded_statement(self, stmt: cst.BaseExpression, depth: int) -> bool:
        """Whether a statement handed to `execute` returns few rows (or is not a select)."""
        if isinstance(stmt, cst.Name):
            found = bindings.name_bindings(self, stmt)
            if found is not None and len(found.bindings) == 1:
                value = found.bindings[0].value
                if value is not None and depth < 12:
                    return self._bounded_statement(value, depth + 1)
            return False
        if self._bounded(stmt):
            return True
        # A `select(...)` chain with a `.limit(n)` somewhere in it.
        node: cst.BaseExpression = stmt
        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in _LIMITS:
                return True
            node = node.func.value
        return False

    # -- messages -----------------------------------------------------------------------

    def _code(self, node: cst.CSTNode) -> str:
        return " ".join(self.context.module.code_for_node(node).split())

    def _message(self, call: cst.Call, shape: _Shape) -> str:
        code = self._code(call)
        if len(code) > _SHOWN or "#" in code:
            code = _brief(call)
        return f"`{code}` {_COSTS[shape]}"


def _brief(call: cst.Call) -> str:
    """`conn.execute(...).fetchall()`, `session.query(...)...all()`: a long call, short."""
    args = "(...)" if call.args else "()"
    func = call.func
    if not isinstance(func, cst.Attribute):
        return f"{names.dotted(func) or '...'}{args}"
    # The innermost call of the chain: where the query starts.
    root, hops = func.value, 0
    while isinstance(root, cst.Await):
        root = root.expression
    while isinstance(root, cst.Call) and isinstance(root.func, cst.Attribute):
        inner = root.func.value
        while isinstance(inner, cst.Await):
            inner = inner.expression
        if not isinstance(inner, cst.Call):
            break
        root, hops = inner, hops + 1
    callee = names.dotted(root.func) if isinstance(root, cst.Call) else ""
    if not callee:
        return f"...{func.attr.value}{args}"
    joint = "..." if hops else "."
    return f"{callee}(...){joint}{func.attr.value}{args}"


def _model(expr: cst.BaseExpression) -> bool:
    """Whether `expr` can be a model class: a name or a dotted name, but not `self`/`cls`."""
    if isinstance(expr, cst.Name):
        return expr.value not in ("self", "cls")
    # `self.model.objects` (a generic view's model) is a model; `self.objects` is not.
    return isinstance(expr, cst.Attribute) and bool(names.dotted(expr))
