"""benchmarks/load.py runs, and says in one line what it lacks.

A short run on PostgreSQL checks what the benchmark itself checks: every
answered request of a known client left a usage row or a counted refusal,
and every answer had its expected status. It says nothing about speed.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from servers import in_ci

ROOT = Path(__file__).resolve().parents[1]
LOAD = ROOT / "benchmarks" / "load.py"


def test_without_apachebench_it_stops_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(LOAD)],
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert result.stderr.strip() == (
        "load.py needs ApacheBench (ab): apt-get install apache2-utils"
    )


def test_a_short_run_answers_and_records_every_request(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("load.py runs on PostgreSQL: the suite is on SQLite")
    if shutil.which("ab") is None:
        message = "ApacheBench is not installed (Debian: apt-get install apache2-utils)"
        if in_ci():
            pytest.fail(f"required under CI: {message}")
        pytest.skip(message)
    results = tmp_path / "load.json"
    # Without REDIS_URL: another test's cache.clear() on a shared Redis database
    # would empty the counters mid-run. One worker counts alone in local memory.
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}

    result = subprocess.run(
        [sys.executable, str(LOAD), "--concurrency", "1,2", "--requests", "20"]
        + ["--rounds", "1", "--seconds", "30", "--json", str(results)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "Every answered request of a known client was recorded" in result.stdout
    document = json.loads(results.read_text())
    assert document["benchmark"] == "load"
    assert document["machine"]["gunicorn_workers"] == 1
    series = {point["series"] for point in document["points"]}
    assert {"token", "no-wait token", "no auth", "dead token", "unknown token"} <= series
    assert {"over limit", "throughput"} <= series
