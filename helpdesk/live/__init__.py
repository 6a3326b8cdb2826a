"""Live boards: WebSocket consumers, group names, publication after commit and the relay."""
