"""Long-running work (DESIGN.md "jobs"): child processes with an owner, a handle and stop()."""
