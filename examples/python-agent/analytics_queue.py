"""The seed's `analytics_queue.put(event)`, as a short HTTP call to `voicelake collect`.

No dependency beyond the standard library. `put` hands the event to a background thread and
returns at once, so the agent never waits on analytics; the thread POSTs NDJSON to
`/v1/events`, which answers only once the events are fsynced in the collector's spool, and
retries (with the server's Retry-After) while the collector is restarting or its spool is full.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any

URL = os.environ.get("VOICELAKE_COLLECT_URL", "http://127.0.0.1:4318") + "/v1/events"
TOKEN = os.environ.get("VOICELAKE_COLLECT_TOKEN")

_queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=10_000)


def put(event_type: str, call_id: str, agent_id: str, data: dict[str, Any]) -> None:
    """Queue one event (the same fields as the Node library's track()); never blocks, never raises."""
    try:
        _queue.put_nowait(
            {
                "type": event_type,
                "callId": call_id,
                "agentId": agent_id,
                "time": datetime.now(timezone.utc).isoformat(),
                "data": data,
            }
        )
    except queue.Full:
        pass  # analytics never slows the call down


def _send(batch: list[dict[str, Any]]) -> None:
    body = "\n".join(json.dumps(e) for e in batch).encode()
    headers = {"Content-Type": "application/x-ndjson"}
    if TOKEN:
        headers["Authorization"] = f"Bearer {TOKEN}"
    for attempt in range(8):
        try:
            with urllib.request.urlopen(urllib.request.Request(URL, body, headers), timeout=15) as res:
                for line in json.load(res)["results"]:
                    if not line["accepted"]:
                        print(f"voicelake refused line {line['line']}: {line['reason']}")
                return
        except urllib.error.HTTPError as error:
            wait = float(error.headers.get("Retry-After") or 2**attempt)
            if error.code not in (429, 503):
                print(f"voicelake answered {error.code}: {error.read().decode()[:200]}")
                return
        except OSError:
            wait = 2**attempt  # the collector is restarting
        time.sleep(min(wait, 30))


def _worker() -> None:
    while True:
        batch = [_queue.get()]
        while len(batch) < 500:
            try:
                batch.append(_queue.get(timeout=0.2))
            except queue.Empty:
                break
        _send(batch)


threading.Thread(target=_worker, name="voicelake", daemon=True).start()
