"""`chaindeck locust ...` (hidden: Locust inside the bundle, whose Python cannot be run by
itself; app/resources.locust_command) and `chaindeck load-worker` (shared/spec/load.md). Here,
because only this folder may import locust."""

from __future__ import annotations

import argparse
import sys
import tempfile


def run_locust(argv: list[str]) -> int:
    sys.argv = ["locust", *argv]
    from locust.main import main

    main()
    return 0


def run_load_worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="chaindeck load-worker",
        description="Join a `chaindeck load --master-bind HOST:PORT` run as one more Locust "
        "worker; the scenario comes from the master. Locust's link has NO authentication: "
        "run it on a private network only.",
    )
    parser.add_argument("--master", required=True, metavar="HOST:PORT", help="the run's master")
    args = parser.parse_args(argv)
    host, sep, port = args.master.rpartition(":")
    if not sep or not host or not port.isdigit():
        print(f"chaindeck load-worker: --master {args.master!r}: HOST:PORT", file=sys.stderr)
        return 2
    locust = ["-f", "-", "--worker", "--master-host", host, "--master-port", port, "-L", "WARNING"]
    # Locust writes the master's locustfiles into the temporary folder and imports them from
    # there: in a shared /tmp another user of the machine could plant or swap them (code run as
    # this user) and they would outlive the worker. A folder of this worker's own (0700) instead.
    with tempfile.TemporaryDirectory(prefix="chaindeck-load-worker-") as private:
        tempfile.tempdir = private
        try:
            return run_locust(locust)
        finally:
            tempfile.tempdir = None
