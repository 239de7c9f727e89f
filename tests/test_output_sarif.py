"""`--format sarif`: valid SARIF 2.1.0 (the official schema), rule metadata, fingerprints, fixes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from memlint import rule_url
from memlint.catalog import RULES
from tests.test_cli import FLAG_CACHE, LRU, check, project, write

__all__ = ["project"]  # the fixture, used by name

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(log)


def sarif(*args: str) -> tuple[dict[str, Any], int]:
    result = check("--format", "sarif", "--no-cache", *args)
    return json.loads(result.stdout), result.exit_code


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    return list(log["runs"][0]["results"])


@pytest.fixture(scope="module")
def fixtures_log() -> dict[str, Any]:
    """Every rule fixture and the demo, every rule on: one real run of the installed tool."""
    command = [sys.executable, "-m", "memlint", "check", "--isolated", "--no-cache"]
    completed = subprocess.run(
        [*command, "--select", "ALL", "--format", "sarif", "-q", "fixtures/rules", "fixtures/demo"],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    log: dict[str, Any] = json.loads(completed.stdout)
    return log


def test_fixtures_and_demo_validate_against_the_official_schema(
    fixtures_log: dict[str, Any],
) -> None:
    validate(fixtures_log)
    found = {r["ruleId"] for r in results(fixtures_log)}
    # Every rule has a fixture, so every rule's results are in the log and were validated.
    assert found == {info.code for info in RULES}


def test_every_rule_id_has_its_metadata(fixtures_log: dict[str, Any]) -> None:
    rules = fixtures_log["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [info.code for info in RULES]
    for rule, info in zip(rules, RULES):
        assert rule["name"] == info.name
        assert rule["shortDescription"]["text"] == info.summary.replace("`", "")
        assert rule["fullDescription"]["markdown"] == info.why
        assert rule["helpUri"] == rule_url(info.code)
        assert rule["defaultConfiguration"]["level"] == info.severity
    for result in results(fixtures_log):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_every_result_has_what_github_reads(fixtures_log: dict[str, Any]) -> None:
    for result in results(fixtures_log):
        assert result["level"] in {"warning", "error"}
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"].startswith("fixtures/")
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (
            region["startLine"],
            region["startColumn"],
        )
        assert set(result["partialFingerprints"]) == {"memlint/v1"}
    levels = {r["ruleId"]: r["level"] for r in results(fixtures_log)}
    assert levels["MEM000"] == "error"
    assert levels["MEM201"] == "warning"


def test_results_match_the_json_output_one_for_one(project: Path) -> None:
    demo = (ROOT / "fixtures" / "demo" / "ingest.py").read_text("utf-8")
    write("ingest.py", demo)
    log, status = sarif()
    validate(log)
    assert status == 1
    expected = json.loads(check("--format", "json", "--no-cache").stdout)
    assert len(results(log)) == len(expected) == 3
    for result, d in zip(results(log), expected):
        region = result["locations"][0]["physicalLocation"]["region"]
        assert result["ruleId"] == d["code"]
        assert result["message"]["markdown"] == d["message"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == d["path"]
        assert (region["startLine"], region["startColumn"]) == (d["line"], d["column"])
        assert (region["endLine"], region["endColumn"]) == (d["end_line"], d["end_column"])
        assert result["properties"]["confidence"] == d["confidence"]
        if d["fix"] is None:
            assert "fixes" not in result
            continue
        (fix,) = result["fixes"]
        assert fix["properties"]["applicability"] == d["fix"]["applicability"]
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"]["uri"] == d["path"]
        edits = [
            {
                "line": r["deletedRegion"]["startLine"],
                "column": r["deletedRegion"]["startColumn"],
                "end_line": r["deletedRegion"]["endLine"],
                "end_column": r["deletedRegion"]["endColumn"],
                "content": r["insertedContent"]["text"],
            }
            for r in change["replacements"]
        ]
        assert edits == d["fix"]["edits"]


def fingerprints(log: dict[str, Any]) -> list[str]:
    return [r["partialFingerprints"]["memlint/v1"] for r in results(log)]


def test_fingerprints_survive_a_shift_of_twenty_lines(project: Path) -> None:
    write("a.py", LRU)
    before, _ = sarif()
    write("a.py", "# a header\n" * 20 + LRU)
    after, _ = sarif()
    start = results(after)[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert start == 23
    assert fingerprints(before) == fingerprints(after)


def test_identical_findings_get_distinct_fingerprints(project: Path) -> None:
    write("a.py", "import functools\nf = functools.cache(len)\nf = functools.cache(len)\n")
    log, _ = sarif()
    first, second = fingerprints(log)
    assert first != second
    assert first.rsplit(":", 1)[0] == second.rsplit(":", 1)[0]


def test_uris_are_relative_to_the_repository_root(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / ".git").mkdir()
    write("backend/app/a b.py", LRU)
    monkeypatch.chdir(project / "backend")
    log, _ = sarif(".")
    validate(log)
    (result,) = results(log)
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "backend/app/a%20b.py"


def test_a_file_outside_the_repository_gets_an_absolute_uri(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (project / ".git").mkdir()
    outside = tmp_path_factory.mktemp("outside") / "x.py"
    outside.write_text(LRU)
    log, _ = sarif(str(outside))
    validate(log)
    uri = results(log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == outside.as_uri()


def test_confidence_is_the_rank_and_a_property(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", FLAG_CACHE)
    write("c.py", "import sys\n\nlines = sys.stdin.readlines()\n")
    log, _ = sarif("--min-confidence", "low")
    validate(log)
    found = [(r["ruleId"], r["rank"], r["properties"]["confidence"]) for r in results(log)]
    assert found == [
        ("MEM201", 50.0, "medium"),
        ("MEM201", 10.0, "low"),
        ("MEM101", 90.0, "high"),
    ]
    # The default threshold holds the low one back.
    assert [r["rank"] for r in results(sarif()[0])] == [50.0, 90.0]


def test_a_clean_run_is_a_valid_log_with_no_results(project: Path) -> None:
    write("a.py", "x = 1\n")
    log, status = sarif()
    validate(log)
    assert status == 0
    assert results(log) == []
    assert log["runs"][0]["columnKind"] == "unicodeCodePoints"


def test_columns_count_characters(project: Path) -> None:
    write("a.py", 'import functools\nπ = "é"; f = functools.cache(len)\n')
    log, _ = sarif()
    region = results(log)[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startColumn"] == len('π = "é"; f = ') + 1


def test_sarif_does_not_depend_on_the_current_folder_being_named(project: Path) -> None:
    # A path given absolute inside the root is still reported relative to it.
    (project / ".git").mkdir()
    write("a.py", LRU)
    log, _ = sarif(os.path.join(str(project), "a.py"))
    assert results(log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.py"
