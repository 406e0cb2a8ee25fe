"""Typed settings, one module a group; `Settings` (root.py) holds them and `load_settings` builds it."""

from config.settings.channels import EmailSettings, SlackSettings
from config.settings.chat import ChatSettings, RecoverySettings, RetentionSettings, RoutingSettings
from config.settings.model import ModelSettings, default_tuned_dir
from config.settings.proactive import ProactiveRule, ProactiveSettings
from config.settings.root import Settings, load_settings
from config.settings.search import LanguageTuning, SearchSettings
from config.settings.secrets import DEMO_SECRETS, check_secrets, missing_secrets
from config.settings.server import DatabaseSettings, GCSettings, LoggingSettings, ServerSettings
from config.settings.sources import DEFAULT_TOML

__all__ = [
    "DEFAULT_TOML",
    "DEMO_SECRETS",
    "ChatSettings",
    "DatabaseSettings",
    "EmailSettings",
    "GCSettings",
    "LanguageTuning",
    "LoggingSettings",
    "ModelSettings",
    "ProactiveRule",
    "ProactiveSettings",
    "RecoverySettings",
    "RetentionSettings",
    "RoutingSettings",
    "SearchSettings",
    "ServerSettings",
    "Settings",
    "SlackSettings",
    "check_secrets",
    "default_tuned_dir",
    "load_settings",
    "missing_secrets",
]
