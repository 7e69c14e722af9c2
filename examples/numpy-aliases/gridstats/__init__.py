"""Summaries of sensor grids."""
