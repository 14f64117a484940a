"""On a follower, the operator actions that change the chain (node-signed transfers, wallets,
mining) are the producer's to do: the route hands them over and returns the producer's answer."""

from __future__ import annotations

from fastapi import Request

from backend.api.errors import ApiError
from backend.api.responses import JSON
from backend.node.follower import Follower
from backend.node.node import Node
from backend.node.upstream import LinkError


def follower_of(node: Node) -> Follower | None:
    return node if isinstance(node, Follower) else None


async def forwarded(follower: Follower, request: Request) -> JSON:
    try:
        status, answer = await follower.forward_operator(
            request.method, request.url.path, await request.body()
        )
    except LinkError as exc:
        raise ApiError(
            503,
            f"the producer {follower.link.url} cannot do this now: {exc}",
            "producer_unreachable",
        ) from None
    return JSON(answer, status_code=status)
