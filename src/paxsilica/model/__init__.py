"""Frozen definitions: the Dataset container, scenarios, shocks and policies (no I/O)."""
