"""The web chat's `/ws/chat` handler: one socket from connect to close.

Connect: the pace of new sockets and the per-address connection limit (`limits.py`), then who the socket
speaks for (`identity.py`); the channel follows the router from the first socket on
(`WebChatChannel.attach`). Open: the session (`inbound.py`, with shop events: `shop_events.py`) is
registered and its conversation looked up in the background (`lookup.py`). Each frame is handled in turn; a
failing frame is answered with an error and the socket stays open. Close: the channel forgets the socket.
"""

from __future__ import annotations

import logging

from aiohttp import WSMsgType, web

from bot.channels.webchat.identity import ChatIdentity, Refused, identity_from_query, reopened
from bot.channels.webchat.outbound import WebChatChannel
from bot.channels.webchat.shop_events import new_session
from bot.dialogue import Dialogue
from bot.logs import CONVERSATION_ID
from config import Settings
from infra.db_errors import MESSAGE as DATABASE_UNAVAILABLE
from infra.db_errors import database_unavailable
from router.service import Router

__all__ = ["chat_handler"]

log = logging.getLogger("kundresa.webchat")


async def chat_handler(
    request: web.Request, channel: WebChatChannel, router: Router, dialogue: Dialogue, settings: Settings
) -> web.WebSocketResponse:
    # Frames up to an HTTP body's size are read and answered (`too_large` and the like) on an open
    # socket; only a bigger one closes it, with 1009 ("message too big").
    max_size = max(65536, 8 * settings.chat.max_message_bytes, settings.server.max_body_bytes)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=max_size)
    await channel.pacer.admit()  # a reconnect storm takes its turn (limits.SocketPacer)
    await ws.prepare(request)
    ip = channel.client_ip(request)  # read once: the connection limit and the handoff limit count it
    if not channel.may_connect(ip, settings.chat.connections_per_minute_per_ip):
        message = "too many new chat connections from your network; try again in a minute"
        await ws.send_json({"type": "error", "code": "rate_limited", "message": message, "seq": 0})
        await ws.close(code=4429)
        return ws
    query, reopen_error = reopened(request.query, settings)
    try:
        identity: ChatIdentity = identity_from_query(query, settings)
    except Refused as refused:
        await ws.send_json({"type": "error", "code": refused.code, "message": refused.message, "seq": 0})
        await ws.close(code=refused.close_code)
        return ws
    channel.attach(router)
    session = new_session(request, ws, channel, router, dialogue, settings, identity)  # + shop events
    session.wants_status = request.query.get("status") == "1"
    session.ip = ip
    channel.open(session)  # nothing is written: the conversation is looked up, read-only, in the background
    if reopen_error is not None:  # the link is bad or old: the widget stays with its own conversation
        await session.error(reopen_error.code, reopen_error.message)
    elif query is not request.query:
        await session.out.ephemeral({"type": "reopened", "visitor": query["visitor"], "seq": 0})
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                CONVERSATION_ID.set(session.conversation_id)  # on this frame's log lines (bot/logs.py)
                try:
                    await session.handle(msg.data, msg.type)
                except ConnectionError:
                    break
                except Exception as exc:
                    # A frame's failure is answered and the socket stays open (a RecursionError is a
                    # RuntimeError too: it once closed the socket with 1000 and no reason).
                    if ws.closed:
                        break
                    if database_unavailable(exc):  # nothing was stored or acknowledged: the client resends
                        log.warning("database unavailable on a chat frame: %s", exc.__class__.__name__)
                        await session.error("database_unavailable", DATABASE_UNAVAILABLE)
                        continue
                    log.exception("chat frame failed on conversation %s", session.conversation_id)
                    await session.error("internal_error", "something went wrong on our side; try again")
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        await channel.closed(session)
    return ws
