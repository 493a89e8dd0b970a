"""Every benchmark runs to its end, at a tiny size, on PostgreSQL.

The benchmarks print numbers and judge none, so neither do these tests: they
check that each one finishes and prints what its reader looks for, so that a
change to the site cannot leave a benchmark broken until the day it is needed.
(``load.py`` has its own test, ``tests/test_load_benchmark.py``; drawing the
plots from JSON is ``tests/test_plots.py``.)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
FEW_ROUNDS = ("--rounds", "1", "--per-round", "2", "--warmup", "1")


@pytest.fixture(autouse=True)
def _on_postgresql():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the benchmarks measure PostgreSQL: the suite is on SQLite")


def run(script, *arguments):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result.stdout


def test_admin_list_past_the_counted_total():
    # Past 10,000 clients the list estimates its total, with an EXPLAIN of its own.
    out = run(
        "admin_list.py",
        *("--clients", "10100", "--owners", "50"),
        *FEW_ROUNDS,
    )

    assert "(1) manager, 10,100 / manager, 15: " in out
    assert "(2) API user, 20 of 10,100 / manager, 10,100: " in out
    # The plans of the list's queries, the estimate's included.
    assert "\nmanager: EXPLAIN (FORMAT JSON) SELECT" in out
    assert "Index Only Scan using" in out


def test_api_auth_with_every_variant():
    out = run("api_auth.py", "--rounds", "1", "--per-round", "3", "--warmup", "1")

    for variant in ("no auth", "ApiClientAuth", "wagtail peer", "…, no wait"):
        assert f"\n{variant} " in out
    assert "ApiClientAuth / no auth: " in out
    assert "wagtail peer / no auth: " in out


def test_scale_prints_its_three_parts():
    out = run("scale.py", "--scale", "0.001", "--rounds", "2")

    assert "ratio busy / quiet: " in out
    assert "2. History, 100 entries and 1,000" in out
    assert "API user, a client's history: " in out
    assert "refused 990, usage rows written " in out


def test_token_lookup_for_each_kind_of_token():
    out = run("token_lookup.py", "--clients", "2000", "--lookups", "20")

    assert "Median of 20 lookups, 2,000 clients:" in out
    for kind in ("current token", "previous token", "unknown token"):
        assert f"  {kind} " in out


def test_secret_scanning_at_each_report_size():
    out = run("secret_scanning.py", "--repeat", "1")

    rows = [line.split() for line in out.splitlines() if line[:7].strip().isdigit()]
    assert [row[0] for row in rows] == ["1", "100", "1000", "10000"]
    # The report's queries do not grow with the number of tokens in it.
    assert len({row[4] for row in rows}) == 1


def test_the_curves_are_measured_then_drawn(tmp_path):
    # Two curves measured directly, with as few rounds as they take...
    run(
        "admin_list.py",
        "--clients",
        "100",
        *FEW_ROUNDS,
        "--json",
        str(tmp_path / "admin_list.json"),
    )
    run("scale.py", "--scale", "0.0001", "--rounds", "2", "--json", str(tmp_path / "scale.json"))
    # ...and one as the documented command runs it, which then draws all three.
    out = run(
        "plots.py",
        *("--scale", "0.0001", "--dir", str(tmp_path), "--only", "token_lookup"),
    )

    assert "Done in " in out
    for name, series in {
        "scale": {"busiest client", "quiet client", "manager", "API-only user"},
        "admin_list": {"manager", "API-only user"},
        "token_lookup": {"current token", "previous token", "unknown token"},
    }.items():
        document = json.loads((tmp_path / f"{name}.json").read_text())
        assert document["benchmark"] == name
        assert series <= {point["series"] for point in document["points"]}
        assert list(tmp_path.glob(f"{name}-*.png"))
