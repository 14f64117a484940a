"""The WebSocket hub's per-client queue: bounded, lagged counts, and a narrowed subscription.

The integration tests (tests/integration/test_websocket.py) run the hub in a real node; this
drives one client's queue directly, where what is queued at the moment of a subscribe is known.
"""

from __future__ import annotations

import json

from backend.api.ws_hub import Hub, WsClient


def _drain(hub: Hub) -> list[dict]:
    (client,) = hub.clients
    messages = []
    while client.pending:
        messages.append(json.loads(client.take()))
    return messages


def _hub_with_one_client(limit: int) -> Hub:
    hub = Hub(lambda: {"blockHeight": 1}, queue_limit=limit)
    hub.clients.add(WsClient(limit))
    return hub


async def test_a_full_queue_drops_the_oldest_and_says_how_many() -> None:
    hub = _hub_with_one_client(limit=5)
    hub.publish_transactions([{"hash": f"0x{n}"} for n in range(8)])

    messages = _drain(hub)
    assert messages[0] == {"type": "lagged", "dropped": 3}
    assert [m["transaction"]["hash"] for m in messages[1:]] == [f"0x{n}" for n in range(3, 8)]


async def test_narrowing_the_channels_drops_what_is_queued_from_the_others() -> None:
    hub = _hub_with_one_client(limit=10)
    (client,) = hub.clients
    hub.publish_block({"height": 1})
    hub.publish_transactions([{"hash": f"0x{n}"} for n in range(12)])  # 3 blocks' worth dropped
    hub.publish_block({"height": 2})

    hub._handle(client, json.dumps({"type": "subscribe", "channels": ["blocks"]}))
    hub.publish_transactions([{"hash": "0xlate"}])  # no longer wanted
    hub.publish_block({"height": 3})

    messages = _drain(hub)
    # The dropped ones were transactions (and the first block): only the block counts.
    assert messages[0] == {"type": "lagged", "dropped": 1}
    assert [m["type"] for m in messages[1:]] == ["new_block", "subscribed", "new_block"]
    assert [m["block"]["height"] for m in messages if m["type"] == "new_block"] == [2, 3]
