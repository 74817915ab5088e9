"""Turning a source into a clean document: decode, repair, metadata, parse, write."""
