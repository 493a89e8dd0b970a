"""``benchmarks/plots.py --plot-only``: the performance curves drawn from the benchmarks' JSON."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
MACHINE = {
    "cpu": "Test CPU",
    "cpu_count": 2,
    "memory_gb": 23.5,
    "load_average_start": [1.5, 1.0, 0.5],
    "load_average_end": [2.5, 1.2, 0.6],
    "python": "3.11.7",
    "django": "5.2",
    "wagtail": "8.0",
    "postgresql": "15.20",
    "redis": "7.0.15",
    "date": "2026-01-02 03:04 UTC",
}


def points(series, sizes, x_label, y_label):
    return [
        {"series": name, "x": x, "x_label": x_label, "y": 10 + n, "y_label": y_label}
        for name in series
        for n, x in enumerate(sizes)
    ]


def write(directory, name, document):
    path = directory / f"{name}.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def plot(directory):
    return subprocess.run(
        [sys.executable, "benchmarks/plots.py", "--plot-only", "--dir", str(directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_png_per_curve_with_the_load_benchmark_too(tmp_path):
    write(
        tmp_path,
        "scale",
        {
            "benchmark": "scale",
            "machine": MACHINE,
            "points": points(
                ["busiest client", "quiet client"],
                [10_000, 100_000, 1_000_000],
                "usage rows in the table",
                "details page (ms, median)",
            )
            + points(["manager"], [100, 1_000], "audit entries", "site history report (ms)"),
        },
    )
    write(
        tmp_path,
        "load",
        {
            "benchmark": "load",
            "machine": MACHINE,
            "points": points(
                ["token", "no auth", "refused"], [1, 4, 16], "concurrency", "requests/s"
            )
            + points(["token p50", "token p99"], [1, 4, 16], "concurrency", "latency (ms)"),
        },
    )
    stale = tmp_path / "scale-a-curve-no-longer-measured.png"
    stale.write_bytes(b"old")

    result = plot(tmp_path)

    assert result.returncode == 0, result.stderr
    drawn = sorted(path.name for path in tmp_path.glob("*.png"))
    assert drawn == [
        "load-latency-by-concurrency.png",
        "load-requests-s-by-concurrency.png",
        "scale-details-page-by-usage-rows-in-the-table.png",
        "scale-site-history-report-by-audit-entries.png",
    ]
    for name in drawn:
        with Image.open(tmp_path / name) as image:
            assert image.format == "PNG"
            assert image.width >= 800
            assert len(image.getcolors(maxcolors=100_000) or range(100_001)) > 20
        assert f"Drew {tmp_path / name}" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "broken.json: not JSON"),
        (
            {"benchmark": "scale", "machine": MACHINE, "points": [{"series": "a"}]},
            "broken.json: point 1: x must be a number",
        ),
        (
            {"benchmark": "scale", "machine": MACHINE, "points": []},
            "broken.json: points must be a list of at least one point",
        ),
    ],
)
def test_a_malformed_file_fails_in_one_line_and_leaves_the_pictures(tmp_path, content, message):
    write(tmp_path, "broken", content)
    kept = tmp_path / "scale-details-page-by-usage-rows-in-the-table.png"
    kept.write_bytes(b"drawn before")

    result = plot(tmp_path)

    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert kept.read_bytes() == b"drawn before"


def test_an_empty_folder_says_what_to_run(tmp_path):
    result = plot(tmp_path)

    assert result.returncode == 1
    assert "no benchmark JSON to draw" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_performance_doc_shows_pictures_that_are_in_the_repository():
    doc = (ROOT / "docs" / "performance.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", doc)
    assert len(pictures) >= 4
    for picture in pictures:
        assert (ROOT / "docs" / picture).is_file(), picture
