"""The agents' and customers' other channels: Slack and email replies."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    agents_channel: str | None = None
    api_base_url: str = "https://slack.com/api/"
    socket_mode: bool = False

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None and bool(self.bot_token.get_secret_value())


class EmailSettings(BaseModel):
    """Replies by email (bot/channels/email/) to a web chat customer who left an address and has left
    the chat. On when `host` is set."""

    host: str = ""
    port: int = 587
    from_address: str = ""  # e.g. "Nordhem kundtjänst <support@nordhem.example>"
    starttls: bool = True  # STARTTLS (port 587); false: plain (tests, local relays)
    use_tls: bool = False  # implicit TLS from the first byte (port 465)
    username: SecretStr | None = None
    password: SecretStr | None = None
    timeout_seconds: float = 20.0
    # A reply is emailed once the customer's chat socket has been closed this long (they may come back).
    away_minutes: float = 3.0
    poll_seconds: float = 15.0  # how often replies for customers who have left are looked for
    # The page the email's link opens (the shop's page with the widget); empty: this server's demo page.
    link_url: str = ""
    link_hours: float = 72.0  # how long the signed link reopens the conversation

    @property
    def enabled(self) -> bool:
        return bool(self.host.strip())
