"""One QObject service per domain; typed, change-only, past-tense signals (DESIGN.md)."""
