"""The owner's event hub (``ouroboros.store.eventrelay.OwnerHub``) on its own: what clients may
send, what they get back, and that a client never gets its own events."""

from __future__ import annotations

import os

from ouroboros.observe import events
from ouroboros.store.eventrelay import OwnerHub


def event(name: str, **extra: object) -> dict[str, object]:
    return {"kind": "tool", "name": name, "ok": True, "duration_ms": 1.5, "details": {}, **extra}


def test_the_hub_keeps_every_process_but_the_askers_and_refuses_junk() -> None:
    hub = OwnerHub()
    try:
        start = hub.since(None, None, 1, 0)
        assert start["events"] == [] and isinstance(start["cursor"], int)  # starts at present
        cursor, epoch = start["cursor"], start["epoch"]
        kept = hub.put(
            111,
            [
                event("hub-a", details={"token": "sk-secret-123456", "n": 1}),
                "not an event",
                {"kind": 3, "name": "x"},
                {"name": "no kind"},
            ],
        )
        assert kept == 1
        shown = [e for e in events.recent() if e["name"] == "hub-a"]
        assert shown[-1]["origin"] == {"pid": 111}
        assert shown[-1]["details"]["token"] != "sk-secret-123456"  # redacted when received
        events.publish("tool", "hub-local")  # this process's own event, through the listener

        for_other = hub.since(cursor, epoch, 222, 0)
        names = [(pid, e["name"]) for pid, e in for_other["events"]]
        assert names == [(111, "hub-a"), (os.getpid(), "hub-local")]
        for_sender = hub.since(cursor, epoch, 111, 0)
        assert [e["name"] for _, e in for_sender["events"]] == ["hub-local"]
        assert hub.since(for_other["cursor"], epoch, 222, 0)["events"] == []
        stale = hub.since(cursor, "another-epoch", 222, 0)  # after a failover: the present
        assert stale["events"] == [] and stale["cursor"] == for_other["cursor"]
    finally:
        hub.close()
    events.publish("tool", "hub-after-close")
    assert all(
        e["name"] != "hub-after-close" for _, e in hub.since(cursor, epoch, 222, 0)["events"]
    )
