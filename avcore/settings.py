"""Typed settings, read from ``AV_*`` environment variables once per cold start.

Every setting is documented in ``docs/settings.md`` (a test keeps the two in step).
A missing or placeholder value fails at start-up with a message naming the
variable, never later in the middle of a request.

Each field ``name`` is read from ``AV_NAME`` (the name's case does not matter) and checked by
pydantic as any model field; a keyword argument wins over the environment. That is all the
functions used of pydantic-settings, whose import (with python-dotenv and its providers for
cloud secret stores, CLI and files) cost every cold start about 17 ms of CPU and the layer
0.34 MB (docs/deployment.md, "Cold start").
"""

from __future__ import annotations

import ipaddress
import json
import os
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from avcore.secrets import PENDING, SecretError
from avcore.secrets import store as secret_store
from avprotocol.limits import MAX_BODY_BYTES, MAX_DECOMPRESSED_BYTES

ENV_PREFIX = "AV_"

PLACEHOLDERS = frozenset(
    {
        "changeme",
        "changethis",
        "change-me",
        "replace-me",
        "replaceme",
        "todo",
        "xxx",
        "secret",
        "password",
        "placeholder",
    }
)


class SettingsError(RuntimeError):
    """A setting is missing or unusable; the message names the variable."""


class EnvSettings(BaseModel):
    """Fields read from ``AV_<FIELD>`` environment variables; keyword arguments win over them."""

    # Built on first use (defer_build): a function instantiates one of these classes, and the
    # others' validators would be built at its cold start for nothing.
    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True, defer_build=True)

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**from_environment(type(self)), **values})


def from_environment(cls: type[BaseModel]) -> dict[str, str]:
    """The ``AV_*`` variables that name a field of ``cls``, by field name (case-insensitive)."""
    prefix = ENV_PREFIX.lower()
    present = {name.lower(): value for name, value in os.environ.items() if name.lower().startswith(prefix)}
    return {field: present[prefix + field] for field in cls.model_fields if prefix + field in present}


T = TypeVar("T", bound=EnvSettings)


def is_placeholder(value: str) -> bool:
    text = value.strip().lower()
    return not text or text in PLACEHOLDERS or (text.startswith("<") and text.endswith(">")) or "${" in text


class DatabaseSettings(EnvSettings):
    """How a function reaches PostgreSQL."""

    database_url: SecretStr | None = Field(default=None, description="libpq DSN (URI or keywords)")
    database_secret_arn: str | None = Field(default=None, description="Secrets Manager ARN holding the DSN")
    database_host: str | None = Field(default=None, description="connect here instead of the DSN's host")
    secret_max_age_s: int = Field(default=300, ge=0, le=86_400)
    db_allow_insecure: bool = False
    db_statement_timeout_ms: int = Field(default=15_000, ge=100, le=900_000)
    db_pool_size: int = Field(default=1, ge=1, le=32)
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed",
    )

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(
            ipaddress.ip_network(p.strip(), strict=False)
            for p in self.trusted_proxies.split(",")
            if p.strip()
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"AV_TRUSTED_PROXIES: {part!r} is not an address or CIDR") from None
        return value

    environment: Literal["production", "local"] = "production"

    @model_validator(mode="after")
    def _need_a_database(self) -> DatabaseSettings:
        url = self.database_url.get_secret_value() if self.database_url else None
        if url is not None and is_placeholder(url):
            raise ValueError("AV_DATABASE_URL is a placeholder; set it to a real PostgreSQL DSN")
        if self.database_secret_arn is not None and is_placeholder(self.database_secret_arn):
            raise ValueError("AV_DATABASE_SECRET_ARN is a placeholder; set it to a Secrets Manager ARN")
        if url is None and self.database_secret_arn is None:
            raise ValueError("AV_DATABASE_URL (or AV_DATABASE_SECRET_ARN) is not set")
        return self

    @property
    def dsn_setting(self) -> str:
        """The variable the DSN comes from, for messages: the URL itself, or the secret's ARN."""
        return "AV_DATABASE_URL" if self.database_url is not None else "AV_DATABASE_SECRET_ARN"

    def dsn(self, *, refresh: bool = False) -> str:
        """The DSN, from the environment or Secrets Manager (held ``secret_max_age_s``; ``refresh``: now)."""
        if self.database_url is not None:
            return self._routed(self.database_url.get_secret_value())
        assert self.database_secret_arn is not None
        return self._routed(
            dsn_from_secret(self.database_secret_arn, force=refresh, max_age_s=self.secret_max_age_s)
        )

    def pending_dsn(self) -> str | None:
        """The DSN a rotation in progress has set on the server but not yet made current, if any."""
        if self.database_secret_arn is None:
            return None
        value = secret_store.get(self.database_secret_arn, stage=PENDING, force=True)
        return None if value is None else self._routed(dsn_from_secret_value(value, self.database_secret_arn))

    def _routed(self, dsn: str) -> str:
        # An RDS Proxy sits in front of the database the secret describes (the secret's host is the
        # database itself, which is what the rotation function must reach): send the functions there.
        if not self.database_host:
            return dsn
        from psycopg.conninfo import make_conninfo

        from avcore.db.policy import parse_dsn  # an unparseable DSN: InvalidDsnError, nothing of it shown

        params = {k: v for k, v in parse_dsn(dsn).items() if k != "hostaddr"}
        return make_conninfo("", **{**params, "host": self.database_host})


class FunctionSettings(DatabaseSettings):
    """What both HTTP functions share beyond the database."""

    base_path: str = ""

    @model_validator(mode="after")
    def _base_path_shape(self) -> FunctionSettings:
        if self.base_path and (not self.base_path.startswith("/") or self.base_path.endswith("/")):
            raise ValueError("AV_BASE_PATH must start with '/' and not end with '/', e.g. /av")
        return self


class IngestSettings(FunctionSettings):
    """Settings for ``ingest_fn``."""

    max_body_bytes: int = Field(default=MAX_BODY_BYTES, ge=1024)
    max_decompressed_bytes: int = Field(default=MAX_DECOMPRESSED_BYTES, ge=1024)
    device_rate_per_minute: int = Field(default=120, ge=1)
    auth_failures_per_window: int = Field(default=20, ge=1)
    auth_failure_window_s: int = Field(default=300, ge=10)


class ViewerSettings(FunctionSettings):
    """Settings for ``viewer_fn``."""

    session_secret: SecretStr | None = Field(default=None, description="key for signing cookies and cursors")
    session_secret_arn: str | None = Field(default=None, description="Secrets Manager ARN holding that key")
    session_ttl_s: int = Field(default=12 * 3600, ge=60)
    max_page_size: int = Field(default=1000, ge=1, le=10_000)
    # Pages hosted apart from the API that may call it with the login cookie (viewer_fn/cors.py).
    cors_origins: tuple[str, ...] = ()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value or ())
        return tuple(check_origin(str(item).strip()) for item in items if str(item).strip())

    @model_validator(mode="after")
    def _secret_is_real(self) -> ViewerSettings:
        if self.session_secret is None and self.session_secret_arn is None:
            raise ValueError("AV_SESSION_SECRET (or AV_SESSION_SECRET_ARN) is not set")
        if self.session_secret is not None:
            check_session_key(self.session_secret.get_secret_value(), "AV_SESSION_SECRET")
        elif self.session_secret_arn is not None and is_placeholder(self.session_secret_arn):
            raise ValueError("AV_SESSION_SECRET_ARN is a placeholder; set it to a Secrets Manager ARN")
        return self


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_origin(origin: str) -> str:
    """One browser origin (``https://viewer.example.com``, a port allowed), as browsers send it.

    No ``*``: the page's calls carry the login cookie, and a browser never sends credentials to
    a wildcard; the allow-list is the point. ``http://`` only for loopback hosts (the login
    cookie is ``Secure``, so a plain-HTTP page elsewhere could never use it anyway).
    """
    if origin in {"*", "null"}:
        raise ValueError(
            f"AV_CORS_ORIGINS: {origin!r} is not allowed; list each page origin, e.g. https://viewer.example.com"
        )
    parts = urlsplit(origin)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError(f"AV_CORS_ORIGINS: {origin!r} is not an origin; use scheme://host[:port]")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(
            f"AV_CORS_ORIGINS: {origin!r} has more than scheme://host[:port] (no path, not even a trailing /)"
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"AV_CORS_ORIGINS: {origin!r} must be https:// (http:// only for localhost)")
    return origin.lower()


def check_session_key(secret: str, name: str) -> None:
    """Refuse a cookie-signing key that is a placeholder or too short, naming where it came from."""
    if is_placeholder(secret):
        raise ValueError(f"{name} is a placeholder; set it to 32+ random characters")
    if len(secret) < 32:
        raise ValueError(f"{name} is too short; it needs at least 32 characters")


def load(cls: type[T], **overrides: Any) -> T:
    """Build settings, turning pydantic's report into one message naming the variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = "".join(str(part) for part in err["loc"])
            name = f"AV_{loc.upper()}" if loc else ""
            msg = err["msg"].removeprefix("Value error, ").replace("Field required", "is not set")
            problems.append(f"{name}: {msg}" if name and name not in msg else msg)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


def dsn_from_secret(arn: str, *, force: bool = False, max_age_s: float | None = None) -> str:
    """The DSN a Secrets Manager secret holds (its current version), read through the secret store."""
    try:
        value = secret_store.current(arn, force=force, max_age_s=max_age_s)
    except SecretError as exc:
        raise SettingsError(f"AV_DATABASE_SECRET_ARN: {exc}") from None
    return dsn_from_secret_value(value, arn)


def dsn_from_secret_value(value: str, arn: str) -> str:
    """A DSN from a secret's value: a DSN string, ``{"dsn": ...}``, or the JSON shape RDS writes.

    The RDS shape (``username``, ``password``, ``host``, ``port``, ``dbname``) is also what
    Secrets Manager's PostgreSQL rotation functions read and write.
    """
    from psycopg.conninfo import make_conninfo

    value = value.strip()
    if not value.startswith("{"):
        return value
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        raise SettingsError(
            f"AV_DATABASE_SECRET_ARN: the secret {arn} is neither a DSN nor valid JSON"
        ) from None
    if "dsn" in data:
        return str(data["dsn"])
    missing = [k for k in ("username", "password", "host") if k not in data]
    if missing:
        raise SettingsError(f"AV_DATABASE_SECRET_ARN: the secret JSON lacks {', '.join(missing)}")
    return make_conninfo(
        "",
        user=data["username"],
        password=data["password"],
        host=data["host"],
        port=str(data.get("port", 5432)),
        dbname=data.get("dbname", "postgres"),
    )
