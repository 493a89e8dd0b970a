"""API clients for a Wagtail site: named, expiring bearer tokens with an admin section."""
