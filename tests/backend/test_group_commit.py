"""The group committer: batches written in order, and settle() waits for what came before."""

from __future__ import annotations

import asyncio

import pytest

from backend.node.group_commit import GroupCommitter


class SlowWriter:
    def __init__(self) -> None:
        self.written: list[list[int]] = []
        self.release = asyncio.Event()

    async def write(self, batch: list[int]) -> None:
        await self.release.wait()
        self.written.append(batch)


async def test_items_handed_in_during_a_write_share_the_next_one() -> None:
    writer = SlowWriter()
    committer = GroupCommitter(writer.write)
    first = asyncio.create_task(committer.commit([1]))
    await asyncio.sleep(0)
    later = [asyncio.create_task(committer.commit([n])) for n in (2, 3)]
    await asyncio.sleep(0)
    writer.release.set()
    await asyncio.gather(first, *later)
    assert writer.written == [[1], [2, 3]]


async def test_settle_waits_for_the_write_under_way_and_the_one_collecting() -> None:
    writer = SlowWriter()
    committer = GroupCommitter(writer.write)
    in_flight = asyncio.create_task(committer.commit([1]))
    await asyncio.sleep(0)
    settled = asyncio.create_task(committer.settle())
    await asyncio.sleep(0.01)
    assert not settled.done()  # item 1 is still being written
    queued = asyncio.create_task(committer.commit([2]))
    late = asyncio.create_task(committer.settle())
    writer.release.set()
    await asyncio.wait_for(asyncio.gather(in_flight, settled, queued, late), 5)
    assert writer.written == [[1], [2]]
    await committer.settle()  # nothing left: returns at once


async def test_settle_reports_a_failed_write() -> None:
    async def failing(batch: list[int]) -> None:
        await asyncio.sleep(0)
        raise OSError("disk full")

    committer = GroupCommitter(failing)
    task = asyncio.create_task(committer.commit([1]))
    await asyncio.sleep(0)
    with pytest.raises(OSError):
        await committer.settle()
    with pytest.raises(OSError):
        await task


async def test_added_items_are_in_the_batch_at_once_so_settle_waits_for_them() -> None:
    """What a follower relies on: a transaction its feed mirrors (add) and a submission answered
    just after (settle) must not race; with create_task(commit(...)) settle could return first."""
    writer = SlowWriter()
    committer = GroupCommitter(writer.write)
    written = committer.add([1])  # no await in between
    settled = asyncio.create_task(committer.settle())
    await asyncio.sleep(0.01)
    assert not settled.done() and not written.done()
    writer.release.set()
    await asyncio.wait_for(settled, 5)
    assert written.done() and writer.written == [[1]]
