"""Alembic revision files, one per schema change, numbered in order (0001_…, 0002_…)."""
