"""The embedded data package and everything that reads files: CSV/Parquet/Excel packages,
scenario YAML. The table declarations are in :mod:`paxsilica.data.schema`."""
