"""The app's own SQLite database (sqlite-utils), reached through one thread."""
