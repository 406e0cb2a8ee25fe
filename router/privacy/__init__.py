"""The customer's data under the GDPR: export, erasure, retention, and the audit log of admin actions.

`subject` finds whose data it is; `export` builds the one JSON document; `erase` deletes it (with
`learned` for what the knowledge base learned from it, `scan` for queued work mentioning it and
`aggregates` for the anonymous counts the statistics keep); `retention` erases what is older than the
settings allow; `audit` records who did what. HTTP routes: router/privacy_api.py; CLI: bot/cli/privacy.py.
"""

from router.privacy.audit import Actor, by, cli_actor
from router.privacy.subject import Subject, find_customer_id, load_subject

__all__ = ["Actor", "Subject", "by", "cli_actor", "find_customer_id", "load_subject"]
