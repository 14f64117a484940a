"""The node's REST + WebSocket API (shared/spec/node-api.md)."""
