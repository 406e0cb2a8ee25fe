"""Router tables, one module a group. Importing the package registers every table on `Base.metadata`
(what migrations compare against and what tests create), so the modules are imported here, all of them."""

from router.models.conversations import Conversation, Feedback, Message
from router.models.customers import ChannelIdentity, Customer, IdentityMerge
from router.models.delivery import InboxItem, OutboxEvent
from router.models.privacy import AuditEntry, ErasedStat
from router.models.shop import ProactiveOffer, ProactiveRule, ShopEvent
from router.models.tickets import ROLES, TICKET_STATUSES, CannedReply, Ticket, User

__all__ = [
    "ROLES",
    "TICKET_STATUSES",
    "AuditEntry",
    "CannedReply",
    "ChannelIdentity",
    "Conversation",
    "Customer",
    "ErasedStat",
    "Feedback",
    "IdentityMerge",
    "InboxItem",
    "Message",
    "OutboxEvent",
    "ProactiveOffer",
    "ProactiveRule",
    "ShopEvent",
    "Ticket",
    "User",
]
