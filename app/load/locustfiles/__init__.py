"""The files Locust runs: the only code that imports locust (an import-linter contract), run only
in Locust's own processes. `chaindeck.py` goes beside every scenario's locustfile."""
