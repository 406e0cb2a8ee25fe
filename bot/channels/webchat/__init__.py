"""The web chat: `/ws/chat` WebSockets speaking the protocol in SPEC.md (extensions: README).

One module per stage of a socket's life:

- `identity`: who a socket speaks for (visitor id, shop-signed user, email, VIP), its page context, and
  the visitor a reopen link names (`email_links`: addresses customers leave, signed reopen links);
- `inbound`: one socket's frames (checked in `frames`), handed to the router and the dialogue; rows are
  written lazily; `shop_events`: the shop-event and offer frames on top;
- `outbound`: `WebChatChannel`, which sockets belong to which conversation and what reaches them; each
  socket's `OrderedSocket` (`ordered_socket`, `sequencer`) sends its frames strictly in `seq` order;
  `status`: the `status` frame;
- `lifecycle`: the aiohttp handler, from connect to close; `limits` (rate limits) and `lookup` (batched
  look-ups of new sockets' conversations) serve it.
"""

from bot.channels.webchat.identity import sign_user
from bot.channels.webchat.lifecycle import chat_handler
from bot.channels.webchat.outbound import WebChatChannel
from bot.channels.webchat.shop_events import follow_shop_events

__all__ = ["WebChatChannel", "chat_handler", "follow_shop_events", "sign_user"]
