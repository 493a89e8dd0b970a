"""The site's PostgreSQL backend: Django's own, with every wait on the server bounded."""
