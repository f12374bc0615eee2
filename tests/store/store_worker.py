"""A separate Ouroboros process for the multi-process store tests (run with the venv python).

usage: store_worker.py DB MODE [ARGS]
  write PREFIX N   create N entities (2 observations each) one call at a time, printing
                   "ack <i> <role>" after each acknowledged write
  hold             open the store, print "ready <role>", then wait for a line on stdin:
                   "close" closes the store cleanly and exits
"""

from __future__ import annotations

import sys

from ouroboros.store import open_store


def main() -> None:
    db, mode = sys.argv[1], sys.argv[2]
    store = open_store(db, embedder=None, timeout=60)
    if mode == "write":
        prefix, n = sys.argv[3], int(sys.argv[4])
        for i in range(n):
            name = f"{prefix}-{i}"
            store.create_entities(
                [
                    {
                        "name": name,
                        "entityType": "item",
                        "observations": [f"{name} first", f"{name} second"],
                    }
                ]
            )
            print(f"ack {i} {store.role}", flush=True)
        store.close()
        print("done", flush=True)
    elif mode == "hold":
        print(f"ready {store.role}", flush=True)
        line = sys.stdin.readline()
        if line.strip() == "close":
            store.close()
            print("closed", flush=True)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
