"""Transport-level entry points: the socket endpoints, health and admin routes."""
