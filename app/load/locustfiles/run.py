"""`chaindeck locust ...`: Locust inside the bundle, whose Python cannot be run by itself
(app/resources.locust_command). Here, because only this folder may import locust."""

from __future__ import annotations

import sys


def run_locust(argv: list[str]) -> int:
    sys.argv = ["locust", *argv]
    from locust.main import main

    main()
    return 0
