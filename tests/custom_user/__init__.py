"""A site whose user model has no ``is_active`` column, to run the app against."""
