"""The node's SQLite storage."""
