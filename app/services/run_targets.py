"""The names a run panel offers and what they mean, from what the window knows: the active node,
saved connections and the fleet's clusters (one resolver for tests, load and deployments)."""

from __future__ import annotations

from app.services.connections_service import DEVNET, ConnectionsService, ProfileError
from app.services.fleet_service import FleetService
from app.services.node_service import NodeService
from app.targets import RunTarget, TargetError, TargetResolver, TargetSources


def run_target_resolver(
    node: NodeService, connections: ConnectionsService, fleet: FleetService
) -> TargetResolver:
    def members(cluster: str) -> list[RunTarget]:
        try:
            found = fleet.members(cluster)
        except ProfileError as exc:
            raise TargetError(str(exc)) from None
        return [RunTarget(m.url, m.kind, m.name, m.username, m.password) for m in found]

    def active() -> RunTarget | None:
        client = node.client
        if client is None:
            return None
        label = node.name or DEVNET
        return RunTarget(client.url, client.kind, label, client.username, client.password)

    return TargetResolver(
        TargetSources(
            profiles=lambda: connections.profiles,
            clusters=fleet.names,
            members=members,
            active=active,
        )
    )
