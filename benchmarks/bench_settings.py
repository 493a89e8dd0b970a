"""The site's production settings with the benchmarks' URLconf (``bench_urls``)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
