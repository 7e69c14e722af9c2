"""Alerts from the old notification pipeline, kept until its callers move.

The pipeline injected the factory into this module's globals at start-up, so
the module never imports it; nothing in the code says which function the name
stands for. It is not called by the current application.
"""

from __future__ import annotations


async def send_legacy_alert(ctx, text: str) -> int:
    manager = await get_websocket_manager(ctx)  # noqa: F821 - injected at start-up
    return await manager.send_to_user(ctx.user_id, {"type": "alert", "text": text})
