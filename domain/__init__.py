"""Snapshot types, vocabularies, loading and validation. Imports nothing else of placematch."""
