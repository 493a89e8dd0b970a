"""API clients for a Wagtail site: named, expiring bearer tokens with an admin section."""

# The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.2.0.dev0"
