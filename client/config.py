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
from urllib.parse import urlsplit

import click


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
    return url.rstrip("/"), parts.scheme == "http"


@dataclass(frozen=True)
class ClientConfig:
    endpoint: str
    token: str
    ca_bundle: Path | None
    plain_http: bool

    def __repr__(self) -> str:  # never show the token
        return f"ClientConfig(endpoint={self.endpoint!r}, ca_bundle={self.ca_bundle!r})"


def _read_file_config() -> dict[str, str]:
    path = user_dir() / "config.json"
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return {k: str(v) for k, v in data.items() if isinstance(v, str | int)}


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
