"""Timestamps for an append-only event log."""
