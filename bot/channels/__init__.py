"""Channel adapters: one package per channel, each implementing `router.channel.Channel`.

`webchat/`, `slack/` and `email/` hold one module per stage (`identity`, `inbound`, `outbound`,
`lifecycle`, and smaller ones where a stage is big); each package's `__init__` exports what the app needs.
"""

__all__ = ["email", "slack", "webchat"]
