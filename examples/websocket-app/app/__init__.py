"""Relay: real-time WebSocket fan-out for agent runs and user notifications."""

__version__ = "0.4.2"
