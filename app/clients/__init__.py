"""Clients for nodes: every node, embedded or remote, is reached over its network API."""
