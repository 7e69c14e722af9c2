"""Creation, health, expiry and shutdown of managers."""

import importlib.util
import time
from pathlib import Path

from app.routes.health import deep_health, user_websocket_health, websocket_health
from app.services.session_cleanup import CLOSE_IDLE, CLOSE_SESSION_EXPIRED, SessionCleanupService
from app.websocket_core import active_managers, get_websocket_manager, get_websocket_manager_factory

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "broadcast_maintenance.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("broadcast_maintenance", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_health_reports_connection_counts(alice_ctx, bob_ctx, connect_client):
    await connect_client(alice_ctx)
    await connect_client(bob_ctx)

    report = await websocket_health()

    assert report["status"] == "ok"
    assert report["user_managers"] == 2
    assert report["connections"] == 2
    assert report["shared"]["scope"] == "shared"


async def test_user_health_for_an_offline_user(alice_ctx):
    report = await user_websocket_health(alice_ctx)

    assert report["user_id"] == "user-alice"
    assert report["connected"] is False


async def test_deep_health_round_trip_leaves_no_manager_behind():
    report = await deep_health()

    assert report == {"status": "ok", "delivered": 1}
    assert "health-probe" not in active_managers()


async def test_expired_session_closes_sockets_and_drops_manager(alice_ctx, connect_client):
    client = await connect_client(alice_ctx)
    before = await get_websocket_manager(alice_ctx)

    closed = await SessionCleanupService().expire_session(alice_ctx)

    after = await get_websocket_manager(user_context=alice_ctx)
    assert closed == 1
    assert client.types() == ["session_expired"]
    assert client.close_code == CLOSE_SESSION_EXPIRED
    assert after is not before and after.connection_count() == 0


async def test_idle_connections_are_closed(alice_ctx, connect_client):
    client = await connect_client(alice_ctx)
    # An hour after now: every connection made by this test is idle by then.
    cleanup = SessionCleanupService(idle_timeout=60, clock=lambda: time.monotonic() + 3_600.0)

    assert await cleanup.close_idle(alice_ctx) == 1
    assert client.close_code == CLOSE_IDLE
    assert await cleanup.sweep([alice_ctx]) == {"user-alice": 0}


async def test_factory_shutdown_closes_every_socket(alice_ctx, bob_ctx, connect_client):
    clients = [await connect_client(alice_ctx), await connect_client(bob_ctx)]
    factory = await get_websocket_manager_factory()

    assert await factory.shutdown() == 2
    assert all(client.close_code == 1001 for client in clients)
    assert factory.managers() == {}


async def test_maintenance_script_reaches_users_and_subscribers(alice_ctx, connect_client):
    script = _load_script()
    alice = await connect_client(alice_ctx)
    demo_clients = await script.attach_demo_clients(["demo-carol"])

    report = await script.broadcast_maintenance(script.maintenance_message(30, 15, "db upgrade"))

    assert report == {"<shared>": 0, "user-alice": 1, "demo-carol": 1}
    assert alice.types() == ["maintenance_scheduled"]
    assert demo_clients[0].messages()[0]["note"] == "db upgrade"
