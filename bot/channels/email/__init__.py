"""The email channel (outbound only): an agent's reply reaches a web chat customer who left an address and
has left the chat.

- `outbound`: `EmailChannel`, a frame as an email over SMTP, with a link that reopens the conversation
  (the link and the address checks are the web chat's: `bot.channels.webchat.email_links`);
- `replies`: `EmailReplies`, which decides when (the customer has been away a while) and what to send;
- `lifecycle`: the `cleanup_ctx` that registers the channel and runs the poller.
"""

from bot.channels.email.lifecycle import EMAIL_REPLIES, email_ctx
from bot.channels.email.outbound import EmailChannel
from bot.channels.email.replies import EmailReplies

__all__ = ["EMAIL_REPLIES", "EmailChannel", "EmailReplies", "email_ctx"]
