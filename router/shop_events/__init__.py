"""Shop events (`window.Kundresa.track`, signed `POST /api/events`) on the customer's timeline, and the
proactive help they trigger (rules, offers, outcomes). Not `router.events`, the in-process event bus.

- `catalog`: built-in events and reason codes, validation; `signing`: the server-to-server HMAC;
- `store`: events in the database and on the timeline; `texts`: event lines for agents (sv/en);
- `rules`: settings-file and admin rules; `service`: `ShopEvents`, which stores and offers;
- `outcomes`: offers shown/opened/dismissed and recovered payments against the hold-out;
- `http`: the routes.

This package's `__init__` imports no module that needs `router.service` (which imports `store`).
"""

from router.shop_events.catalog import (
    BUILT_IN,
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    REASONS,
    EventIn,
    parse_event,
)
from router.shop_events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_event, verify_event
from router.shop_events.store import event_json, events_for_timeline, recent_payment_failure
from router.shop_events.texts import event_line, format_amount

__all__ = [
    "BUILT_IN",
    "PAYMENT_FAILED",
    "PAYMENT_SUCCEEDED",
    "REASONS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "EventIn",
    "event_json",
    "event_line",
    "events_for_timeline",
    "format_amount",
    "parse_event",
    "recent_payment_failure",
    "sign_event",
    "verify_event",
]
