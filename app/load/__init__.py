"""Load tests (shared/spec/load.md): the plan, thresholds and figures here, Qt-free and
Locust-free; Locust itself runs only in child processes (`locustfiles/`)."""
