"""Layered configuration: defaults, files, environment."""
