#!/usr/bin/env python
"""The performance curves: run the benchmarks with ``--json``, then draw a PNG per curve.

Each benchmark writes ``docs/performance/NAME.json`` (the points and the machine
they were measured on, see ``Curves`` in ``benchmarks/common.py``); every JSON
file in that folder, ``load.json`` included when it is there, is then drawn as
one PNG per curve (points sharing an x and a y label), a line per series, with
the machine in a caption under the plot.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/plots.py                  # quick: a few minutes
    .venv/bin/python benchmarks/plots.py --scale full         # 10 M usage rows, 1 M clients,
                                                              # 1 M audit entries: hours
    .venv/bin/python benchmarks/plots.py --plot-only          # draw again from the JSON
    .venv/bin/python benchmarks/plots.py --only token_lookup  # one benchmark, then draw all

``--scale`` is a fraction of the full sizes (quick = 0.01, full = 1). The
benchmarks make and drop PostgreSQL databases of their own on the server of
``DATABASE_URL`` (the local one when unset); ``REDIS_URL`` is passed on.
"""

import argparse
import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DIR = HERE.parent / "docs" / "performance"
SCALES = {"quick": 0.01, "full": 1.0}

# Each benchmark's arguments at a scale: 1 is 10 M usage rows, 1 M audit entries,
# 1 M clients in the list and 1 M clients for the token lookup.
BENCHMARKS = {
    "scale": lambda scale: ["--scale", f"{scale:g}"],
    "admin_list": lambda scale: ["--clients", str(max(100, int(1_000_000 * scale)))],
    "token_lookup": lambda scale: ["--clients", str(max(1_000, int(1_000_000 * scale)))],
    "secret_scanning": lambda scale: [],
}

POINT_FIELDS = {"series": str, "x": (int, float), "x_label": str, "y": (int, float), "y_label": str}


class BadFile(Exception):
    """A JSON file that cannot be drawn; its message is one line naming the file."""


def scale_value(text):
    if text in SCALES:
        return SCALES[text]
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"expected quick, full or a fraction of the full sizes in (0, 1], not {text!r}"
        )
    return value


def run_benchmarks(names, scale, directory):
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        command = [
            sys.executable,
            str(HERE / f"{name}.py"),
            *BENCHMARKS[name](scale),
            "--json",
            str(directory / f"{name}.json"),
        ]
        print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(command, cwd=HERE.parent)
        took = time.perf_counter() - started
        if result.returncode:
            sys.exit(f"{name}.py failed (exit {result.returncode}) after {took:.0f} s")
        print(f"== {name}: {took:.0f} s", flush=True)


def read_curves(path):
    """The file's benchmark name, machine and points, or BadFile saying what is wrong."""
    try:
        document = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise BadFile(f"{path}: cannot be read ({error})") from None
    except json.JSONDecodeError as error:
        raise BadFile(f"{path}: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise BadFile(f"{path}: expected an object with benchmark, machine and points")
    benchmark = document.get("benchmark")
    if not isinstance(benchmark, str) or not re.fullmatch(r"[\w.]+", benchmark):
        raise BadFile(f"{path}: benchmark must be a name of letters, digits, _ or .")
    machine = document.get("machine")
    if not isinstance(machine, dict):
        raise BadFile(f"{path}: machine must be an object")
    points = document.get("points")
    if not isinstance(points, list) or not points:
        raise BadFile(f"{path}: points must be a list of at least one point")
    for number, point in enumerate(points, 1):
        if not isinstance(point, dict):
            raise BadFile(f"{path}: point {number} is not an object")
        for field, kind in POINT_FIELDS.items():
            value = point.get(field)
            if not isinstance(value, kind) or isinstance(value, bool):
                wanted = "a string" if kind is str else "a number"
                raise BadFile(f"{path}: point {number}: {field} must be {wanted}")
            if kind is not str and not math.isfinite(value):
                raise BadFile(f"{path}: point {number}: {field} must be a finite number")
    return benchmark, machine, points


def machine_line(machine):
    """The machine in one line, from whatever of describe_machine's keys the file has."""

    def version(key, name):
        return f"{name} {machine[key]}" if machine.get(key) else None

    load = machine.get("load_average_start"), machine.get("load_average_end")
    parts = [
        ", ".join(
            str(part)
            for part in (
                machine.get("cpu"),
                machine.get("cpu_count") and f"{machine['cpu_count']} cores",
                machine.get("memory_gb") and f"{machine['memory_gb']} GB",
            )
            if part
        ),
        all(isinstance(value, list) and value for value in load)
        and f"load {load[0][0]:.1f} → {load[1][0]:.1f}",
        ", ".join(
            part
            for part in (
                version("python", "Python"),
                version("django", "Django"),
                version("wagtail", "Wagtail"),
                version("postgresql", "PostgreSQL"),
                version("sqlite", "SQLite"),
                version("redis", "Redis"),
            )
            if part
        ),
        machine.get("date"),
    ]
    return "; ".join(str(part) for part in parts if part)


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def without_units(label):
    return re.sub(r"\s*\([^)]*\)", "", label).strip()


def count_label(value, _position=None):
    """1000 as 1k, 2500000 as 2.5M: sizes read at a glance."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def draw(path, benchmark, machine, points):
    """One PNG per (x label, y label) of the file; returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullLocator

    curves = {}
    for point in points:
        series = curves.setdefault((point["x_label"], point["y_label"]), {})
        series.setdefault(point["series"], []).append((point["x"], point["y"]))
    caption = machine_line(machine)
    written = []
    for (x_label, y_label), series in curves.items():
        figure, axes = plt.subplots(figsize=(8, 4.8), dpi=110)
        xs = [x for values in series.values() for x, _ in values]
        for name, values in series.items():
            values.sort()
            axes.plot([x for x, _ in values], [y for _, y in values], marker="o", label=name)
        if min(xs) > 0 and max(xs) / min(xs) >= 10:
            axes.set_xscale("log")
        sizes = sorted(set(xs))
        if len(sizes) <= 12:  # a tick at each size measured
            axes.set_xticks(sizes)
            axes.xaxis.set_minor_locator(NullLocator())
        axes.xaxis.set_major_formatter(FuncFormatter(count_label))
        ys = [y for values in series.values() for _, y in values]
        if min(ys) > 0 and max(ys) / min(ys) >= 30:  # work that grows with x: log-log
            axes.set_yscale("log")
            axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
        else:  # from 0, so that a flat curve looks flat
            axes.set_ylim(bottom=0)
        axes.grid(True, which="major", alpha=0.35)
        axes.set_xlabel(x_label + (" (log scale)" if axes.get_xscale() == "log" else ""))
        axes.set_ylabel(y_label + (" (log scale)" if axes.get_yscale() == "log" else ""))
        title = f"{without_units(y_label)} by {without_units(x_label)}"
        axes.set_title(f"{title[:1].upper()}{title[1:]}  ({benchmark})")
        axes.legend()
        figure.text(0.01, 0.015, caption, fontsize=7.5, color="#444444", wrap=True)
        figure.tight_layout(rect=(0, 0.05, 1, 1))
        target = path.parent / f"{benchmark}-{slug(without_units(y_label))}-by-{slug(x_label)}.png"
        figure.savefig(target)
        plt.close(figure)
        written.append(target)
    return written


def plot_directory(directory):
    files = sorted(directory.glob("*.json"))
    if not files:
        raise BadFile(f"{directory}: no benchmark JSON to draw (run without --plot-only first)")
    # Read every file before drawing any, so a bad one leaves the pictures as they were.
    documents = [(path, *read_curves(path)) for path in files]
    written = []
    for path, benchmark, machine, points in documents:
        for old in directory.glob(f"{benchmark}-*.png"):
            old.unlink()
        written += draw(path, benchmark, machine, points)
    for target in written:
        print(f"Drew {target}")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=scale_value,
        default=SCALES["quick"],
        help="quick (0.01, the default), full (1) or a fraction of the full sizes",
    )
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks"
    )
    parser.add_argument(
        "--plot-only", action="store_true", help="run nothing: draw again from the JSON"
    )
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where the JSON and PNGs go")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not args.plot_only:
        run_benchmarks(args.only or list(BENCHMARKS), args.scale, args.dir)
    try:
        plot_directory(args.dir)
    except BadFile as error:
        sys.exit(f"plots.py: {error}")
    print(f"Done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
