"""Application services built on top of the WebSocket core."""
