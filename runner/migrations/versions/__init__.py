"""Alembic revisions of the klachten schema, oldest first (``0001_initial`` creates it)."""
