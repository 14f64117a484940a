"""A sending user whose nonces the node refuses (422: another transaction holds them) asks the
node for its pending nonce and goes on from there: the run keeps sending and its transfers are
included, with nothing left pending. Locust is imported in a child process only."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.helpers.locust_child import run_child
from tests.helpers.node_process import NodeProcess

USER = textwrap.dedent(
    """
    import json, sys
    import gevent
    from gevent.pool import Group
    from locust.env import Environment
    from app.load.locustfiles import inclusion
    from app.load.locustfiles.engine import RUN
    from app.load.locustfiles.poster import Poster
    from app.load.locustfiles.users import TransferUser
    from app.signing import Signer, TransferBodies, dev_wallet_seed

    node_url, chain_id = sys.argv[1], sys.argv[2]
    seed = dev_wallet_seed("resync", 1)
    sink = Signer(chain_id, b"\\x22" * 32).address
    # Another client takes nonces 0-2 first, with another amount: the same nonces are refused.
    other = TransferBodies(Signer(chain_id, seed), sink, 5, 10_000)
    poster = Poster(node_url)
    taken = [poster.post("/api/v1/transactions/raw", other.next()[0])[0] for _ in range(3)]
    RUN.plan = {
        "chain_id": chain_id, "senders": [seed.hex()], "workers": 1, "sink": sink,
        "hosts": [node_url],
    }
    tracker = inclusion.tracker(node_url)

    class Sender(TransferUser):
        abstract = False  # a user that runs, of the abstract one

    codes = {}
    def count(request_type, name, exception, response_length, **_kw):
        key = f"{name} {'failed' if exception else 'ok'}"
        codes[key] = codes.get(key, 0) + 1

    environment = Environment(user_classes=[Sender])
    environment.events.request.add_listener(count)
    errors = []
    environment.events.user_error.add_listener(
        lambda user_instance, exception, tb, **_kw: errors.append(repr(exception))
    )
    user = Sender(environment)
    user.start(Group())
    gevent.sleep(1.5)
    user.stop(force=True)
    for _ in range(100):  # the tracker sees every accepted transfer in a block
        if not tracker.expected:
            break
        gevent.sleep(0.1)
    print(json.dumps({"taken": taken, "codes": codes, "pending": len(tracker.expected),
                      "nonce": user.signer.nonce, "errors": errors}))
    """
)


def test_refused_nonces_start_the_user_again_from_the_nodes(tmp_path: Path) -> None:
    node = NodeProcess(None, "--dev-seed", "resync", "--accounts", "2").start()
    try:
        got = run_child(USER, tmp_path, node.url, str(node.ready["chainId"]))
        assert got["taken"] == [201, 201, 201]
        assert got["errors"] == []
        codes = got["codes"]
        assert codes["nonce resync ok"] >= 1
        assert codes["/api/v1/transactions/raw failed"] >= 1  # the refused nonce 0
        assert codes["/api/v1/transactions/raw ok"] > 10  # and it went on sending
        assert got["pending"] == 0
        assert got["nonce"] > 3
    finally:
        node.kill()
