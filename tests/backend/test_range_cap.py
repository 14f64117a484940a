"""/blocks/range stops before MAX_RANGE_BYTES of JSON, on a whole block, and never sends none
(routes/chain.py). The store is a stand-in here so the cap is reached with small blocks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson

from backend.api.routes import chain


class _Store:
    def __init__(self, blocks: int, memo: int) -> None:
        self.rows = [
            {"height": h, "transactions": [{"memo": "x" * memo, "from": "a", "to": "b"}]}
            for h in range(blocks)
        ]

    def blocks_range(self, start: int, end: int) -> list[dict[str, Any]]:
        return [
            dict(r, transactions=[dict(t) for t in r["transactions"]])
            for r in self.rows[start : end + 1]
        ]


def _ctx(store: _Store) -> Any:
    async def read(fn: Any, *args: Any) -> Any:
        return fn(*args)

    node = SimpleNamespace(store=store, read=read)
    return SimpleNamespace(node=node, label_tx=lambda tx: tx)


async def test_a_range_answer_stops_on_a_whole_block_before_the_cap(monkeypatch: Any) -> None:
    monkeypatch.setattr(chain, "MAX_RANGE_BYTES", 10_000)
    body = await chain.blocks_range_json(_ctx(_Store(100, 900)), 0, 99)
    assert len(body) <= 10_000
    blocks = orjson.loads(body)
    assert [b["height"] for b in blocks] == list(range(len(blocks)))
    assert 5 < len(blocks) < 100
    # The client asks again from the next height and gets the rest.
    rest = orjson.loads(await chain.blocks_range_json(_ctx(_Store(100, 900)), len(blocks), 99))
    assert rest[0]["height"] == len(blocks)


async def test_one_block_bigger_than_the_cap_is_still_sent(monkeypatch: Any) -> None:
    monkeypatch.setattr(chain, "MAX_RANGE_BYTES", 500)
    blocks = orjson.loads(await chain.blocks_range_json(_ctx(_Store(3, 2_000)), 0, 2))
    assert [b["height"] for b in blocks] == [0]
