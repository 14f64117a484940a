"""A sending user that Locust stops mid-send (it kills every user's greenlet when the hold ends)
leaves nothing pending: its transfer is counted if it shows up, and the drain is not held up by
it (a run on a busy CI machine once reported 1 of 1,825 transfers as pending for this reason)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.helpers.locust_child import run_child
from tests.helpers.node_process import NodeProcess

# Locust is imported in a child process only (it monkey-patches the standard library).
USER = textwrap.dedent(
    """
    import json, sys
    import gevent
    from gevent.pool import Group
    from locust.env import Environment
    import socket
    from app.load.locustfiles import inclusion
    from app.load.locustfiles.engine import RUN
    from app.load.locustfiles.users import TransferUser
    from app.signing import Signer

    node_url, chain_id = sys.argv[1], sys.argv[2]
    # Where the user sends: a listener that takes the request and never answers, so the user
    # is certainly mid-send when it is stopped; the tracker follows the real node's blocks.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held = []
    gevent.spawn(lambda: [held.append(silent.accept()) for _ in iter(int, 1)])
    tracker = inclusion.tracker(node_url)
    RUN.plan = {
        "chain_id": chain_id,
        "senders": ["11" * 32],
        "workers": 1,
        "sink": Signer(chain_id, b"\\x22" * 32).address,
        "hosts": [f"http://127.0.0.1:{silent.getsockname()[1]}"],
    }

    class Sender(TransferUser):
        pass

    user = Sender(Environment(user_classes=[Sender]))
    user.start(Group())
    while not held:
        gevent.sleep(0.05)
    gevent.sleep(0.2)
    sent = len(tracker.expected)
    user.stop(force=True)
    print(json.dumps({"sent": sent, "pending": len(tracker.expected),
                      "unsure": len(tracker.unsure)}))
    """
)


def test_a_user_stopped_mid_send_leaves_nothing_pending(tmp_path: Path) -> None:
    node = NodeProcess(None).start()
    try:
        counts = run_child(USER, tmp_path, node.url, str(node.ready["chainId"]))
        assert counts == {"sent": 1, "pending": 0, "unsure": 1}
    finally:
        node.kill()
