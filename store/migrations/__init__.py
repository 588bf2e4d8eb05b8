"""Alembic migrations of the placematch database (run them with ``store.migrate``)."""
