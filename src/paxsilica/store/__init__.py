"""The DuckDB results store (:class:`~paxsilica.store.runs.RunStore`)."""
