"""av-client configuration: environment first, then the user's config file.

The user directory is ``$AV_USER_PATH`` or the platform's app dir. The token is
read from ``$AV_TOKEN`` or from a 0600 file, and is never printed or logged.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from client import gitleaks_rules
from client.gitleaks_rules import GitleaksRule


class ConfigError(click.ClickException):
    """A configuration problem, with the fix in the message."""


def user_dir() -> Path:
    return Path(os.environ.get("AV_USER_PATH") or click.get_app_dir("av-cloud"))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str) -> tuple[str, bool]:
    """Return (normalised URL, is_plain_http_to_loopback); refuse plain HTTP elsewhere."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"endpoint {url!r} is not an http(s) URL, e.g. https://ingest.example.com")
    if parts.username or parts.password:
        raise ConfigError("the endpoint URL must not contain credentials; the token goes in AV_TOKEN")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// to {parts.hostname}: session logs and the device token would cross "
            "the network unencrypted. Use https:// (plain http is allowed only to localhost/127.0.0.1)"
        )
    if parts.path.rstrip("/").endswith("/v1"):
        # The ingest paths are /v1/...; an endpoint ending in /v1 would send /v1/v1/push (a 404).
        raise ConfigError(
            f"endpoint {url!r} ends in /v1, which av-client adds itself: use the URL without it "
            "(a SAM stack's ClientEndpoint output is exactly the value to give)"
        )
    return url.rstrip("/"), parts.scheme == "http"


@dataclass(frozen=True)
class ClientConfig:
    endpoint: str
    token: str
    ca_bundle: Path | None
    plain_http: bool

    def __repr__(self) -> str:  # never show the token
        return f"ClientConfig(endpoint={self.endpoint!r}, ca_bundle={self.ca_bundle!r})"


def config_path() -> Path:
    return user_dir() / "config.json"


def read_config_file() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}; fix the JSON or run `av-client init` again") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object; run `av-client init` again")
    return data


def _read_file_config() -> dict[str, str]:
    return {k: str(v) for k, v in read_config_file().items() if isinstance(v, str | int)}


def redact_patterns() -> tuple[str | dict[str, Any] | GitleaksRule, ...]:
    """Your rules, added to the built-in table (client/redact.py), from config.json:
    ``redact_patterns`` — regex strings (redacted as ``custom``) or objects in gitleaks' rule shape
    (``id``, ``regex``, …) — then the rules of ``redact_rules_file``, a gitleaks-format TOML file
    (e.g. your organisation's; a relative path is read from the user directory)."""
    data = read_config_file()
    value = data.get("redact_patterns", [])
    if not isinstance(value, list) or not all(isinstance(v, str | dict) for v in value):
        raise ConfigError(
            f"redact_patterns in {config_path()} must be a list of regex strings or rule objects"
        )
    rules_file = data.get("redact_rules_file")
    if rules_file is None:
        return tuple(value)
    if not isinstance(rules_file, str) or not rules_file.strip():
        raise ConfigError(f"redact_rules_file in {config_path()} must be the path of a gitleaks-format file")
    path = user_dir() / Path(rules_file).expanduser()
    try:
        return (*value, *gitleaks_rules.load_file(path))
    except gitleaks_rules.RuleFileError as exc:
        raise ConfigError(f"redact_rules_file in {config_path()}: {exc}") from None


PUSH_IN_FLIGHT_DEFAULT = 3  # bench/ingest_bench.py: 1, 2, 3 in flight took 1.92, 1.30, 1.18 s
PUSH_IN_FLIGHT_MAX = 8


def push_in_flight() -> int:
    """How many push requests may be on the wire at once: ``$AV_PUSH_IN_FLIGHT``, else ``push_in_flight``
    in config.json, else 3. 1 sends strictly one request at a time."""
    env = os.environ.get("AV_PUSH_IN_FLIGHT", "").strip()
    where, value = (
        ("AV_PUSH_IN_FLIGHT", env)
        if env
        else (f"push_in_flight in {config_path()}", read_config_file().get("push_in_flight"))
    )
    if value is None:
        return PUSH_IN_FLIGHT_DEFAULT
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    if number is None or not 1 <= number <= PUSH_IN_FLIGHT_MAX:
        raise ConfigError(f"{where} must be a whole number from 1 to {PUSH_IN_FLIGHT_MAX}, not {value!r}")
    return number


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def mirror_deletes() -> bool:
    """The opt-in to make the server mirror the disk: ``$AV_MIRROR_DELETES``, else ``mirror_deletes``
    in config.json, else off. On, a session whose log disappeared is deleted on the server
    (a tombstone) instead of kept there marked as gone (docs/client.md, "History is kept")."""
    env = os.environ.get("AV_MIRROR_DELETES")
    where, value = (
        ("AV_MIRROR_DELETES", env)
        if env is not None
        else (f"mirror_deletes in {config_path()}", read_config_file().get("mirror_deletes", False))
    )
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{where} must be true or false, not {value!r}")


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_config(*, endpoint: str, token: str, machine: str, ca_bundle: Path | None = None) -> Path:
    """``av-client init``: the token goes into a 0600 file, config.json names it. Returns config.json's path."""
    endpoint, _ = check_endpoint(endpoint)
    machine = machine.strip()
    if not machine or machine.lower() == "local":
        raise ConfigError(
            f"machine name {machine!r} is reserved or empty; choose another (default: the host name)"
        )
    token = token.strip()
    if not token:
        raise ConfigError("the device token is empty; `av-admin device add` prints one")
    if ca_bundle is not None and not ca_bundle.is_file():
        raise ConfigError(f"CA bundle {ca_bundle} does not exist")
    token_file = user_dir() / "token"
    _write_private(token_file, token + "\n")
    data = read_config_file() if config_path().exists() else {}
    data.update({"endpoint": endpoint, "token_file": str(token_file), "machine": machine})
    if ca_bundle is not None:
        data["ca_bundle"] = str(ca_bundle.resolve())
    _write_private(config_path(), json.dumps(data, indent=2) + "\n")
    return config_path()


def _read_token(path: Path) -> str:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(f"token file {path} is readable by others (mode {mode:o}); run chmod 600 {path}")
    return path.read_text().strip()


def load_config() -> ClientConfig:
    stored = _read_file_config()
    endpoint = os.environ.get("AV_ENDPOINT") or stored.get("endpoint")
    if not endpoint:
        raise ConfigError("no endpoint configured: set AV_ENDPOINT or run `av-client init`")
    endpoint, plain = check_endpoint(endpoint)
    token = os.environ.get("AV_TOKEN", "").strip()
    token_file = os.environ.get("AV_TOKEN_FILE") or stored.get("token_file")
    if not token and token_file:
        token = _read_token(Path(token_file))
    if not token:
        raise ConfigError("no device token: set AV_TOKEN, or AV_TOKEN_FILE to a 0600 file holding it")
    ca = os.environ.get("AV_CA_BUNDLE") or stored.get("ca_bundle")
    ca_path = Path(ca) if ca else None
    if ca_path and not ca_path.is_file():
        raise ConfigError(f"AV_CA_BUNDLE {ca_path} does not exist")
    return ClientConfig(endpoint, token, ca_path, plain)


def default_machine_name() -> str:
    return socket.gethostname().split(".")[0] or "machine"
