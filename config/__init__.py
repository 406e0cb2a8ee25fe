"""Typed settings and the error tree shared by every package."""

from config.errors import (
    ConfigError,
    ConflictError,
    ImportFormatError,
    KundresaError,
    NotFoundError,
    PermissionDeniedError,
    TooLargeError,
    UnauthorizedError,
    ValidationError,
)
from config.settings import (
    ChatSettings,
    DatabaseSettings,
    EmailSettings,
    LanguageTuning,
    ModelSettings,
    RoutingSettings,
    SearchSettings,
    ServerSettings,
    Settings,
    SlackSettings,
    load_settings,
)

__all__ = [
    "ChatSettings",
    "ConfigError",
    "ConflictError",
    "DatabaseSettings",
    "EmailSettings",
    "ImportFormatError",
    "KundresaError",
    "LanguageTuning",
    "ModelSettings",
    "NotFoundError",
    "PermissionDeniedError",
    "RoutingSettings",
    "SearchSettings",
    "ServerSettings",
    "Settings",
    "SlackSettings",
    "TooLargeError",
    "UnauthorizedError",
    "ValidationError",
    "load_settings",
]
