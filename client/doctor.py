"""``av-client doctor``: check each thing a push needs, and say how to fix what is wrong.

Checks run in order and stop being meaningful after the first hard failure
(no DNS → no TLS → no token check), so later ones are skipped with a reason.
Clock skew is read from the server's ``Date`` header: a clock far off makes
TLS certificates look not-yet-valid or expired and timestamps misleading.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx

from avprotocol.answers import HealthResponse, StatusResponse
from client.config import ClientConfig, ConfigError, config_path, load_config, redact_patterns
from client.redact import RedactionConfigError, Redactor
from client.sources.paths import override
from client.sources.registry import sources
from client.state import state_path
from client.transport import IngestClient, PushError

MAX_SKEW_S = 300

Level = Literal["ok", "warn", "fail", "skip"]


@dataclass
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "level": self.level, "detail": self.detail, "fix": self.fix}


def _config() -> tuple[Check, ClientConfig | None]:
    try:
        config = load_config()
    except ConfigError as exc:
        return Check(
            "config", "fail", exc.message, "run `av-client init` (or set AV_ENDPOINT and AV_TOKEN)"
        ), None
    where = "environment" if os.environ.get("AV_ENDPOINT") else str(config_path())
    detail = f"endpoint {config.endpoint} (from {where})"
    if config.plain_http:
        return Check(
            "config", "warn", detail + " over plain HTTP", "use https:// unless this is the local stack"
        ), config
    return Check("config", "ok", detail), config


def _redaction() -> Check:
    try:
        rules = Redactor(redact_patterns()).rules
    except (ConfigError, RedactionConfigError) as exc:
        return Check(
            "redaction", "fail", str(exc), f"fix redact_patterns or redact_rules_file in {config_path()}"
        )
    return Check("redaction", "ok", f"{len(rules)} rules (on by default; --no-redact turns it off)")


def _dns(host: str, port: int) -> Check:
    try:
        addrs = sorted({a[4][0] for a in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except OSError as exc:
        return Check(
            "dns",
            "fail",
            f"{host} does not resolve: {exc}",
            "check the endpoint's host name and your network",
        )
    return Check("dns", "ok", f"{host} → {', '.join(str(a) for a in addrs[:4])}")


def _tls(config: ClientConfig) -> tuple[Check, httpx.Response | None]:
    try:
        with IngestClient(config) as client:
            client.sleep = lambda s: None
            client.get("/v1/health", answer=HealthResponse)
            response = client.last_response
    except PushError as exc:
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(exc.__cause__, ssl.SSLError):
            return Check(
                "tls",
                "fail",
                text,
                "the server's certificate is not trusted: set AV_CA_BUNDLE (or "
                "ca_bundle in config.json) to your private CA's PEM file",
            ), None
        if exc.status == 503 and "the database setting" in text:
            # The server is up and reached; its own database settings are wrong (avcore.web).
            return Check(
                "tls",
                "fail",
                text,
                "the server was reached but its database setting is unusable: the operator fixes it "
                "(the function's log has the detail)",
            ), None
        return Check("tls", "fail", text, "check that the endpoint URL is right and the server is up"), None
    kind = "plain HTTP (loopback)" if config.plain_http else "TLS verified"
    return Check("tls", "ok", f"{kind}; /v1/health answered"), response


def _token(config: ClientConfig) -> Check:
    try:
        with IngestClient(config) as client:
            client.sleep = lambda s: None
            status = client.get("/v1/status", answer=StatusResponse)
    except PushError as exc:
        if exc.status == 401:
            return Check(
                "token",
                "fail",
                str(exc),
                "the token is unknown or revoked: ask for a new one "
                "(`av-admin device add`) and run `av-client init` again",
            )
        if exc.status == 403:
            return Check(
                "token", "fail", str(exc), "this token may not push: use a device token, not a viewer one"
            )
        return Check("token", "fail", str(exc), "try again; if it persists, check the server's logs")
    return Check(
        "token",
        "ok",
        f"accepted for machine {status.machine!r} (server holds {status.sessions} sessions)",
    )


def _clock(response: httpx.Response | None) -> Check:
    date = response.headers.get("date") if response is not None else None
    if not date:
        return Check("clock", "skip", "the server sent no Date header")
    skew = time.time() - parsedate_to_datetime(date).timestamp()
    if abs(skew) > MAX_SKEW_S:
        return Check(
            "clock",
            "warn",
            f"this machine's clock is {skew:+.0f} s off the server's",
            "enable time synchronisation (NTP): `timedatectl set-ntp true` or your OS's settings",
        )
    return Check("clock", "ok", f"{skew:+.1f} s from the server's clock")


def _sources() -> list[Check]:
    """Which agents' stores exist here and where; an override pointing nowhere is a warning."""
    found: list[str] = []
    missing: list[str] = []
    checks: list[Check] = []
    for s in sources():
        hits = s.found()
        if hits:
            found.append(f"{s.name} (" + ", ".join(f"{n} in {root}" for root, n in hits) + ")")
        else:
            missing.append(s.name)
        chosen = override(s.env_var)
        if chosen is not None and not chosen.exists():
            checks.append(
                Check(
                    f"source {s.name}",
                    "warn",
                    f"{s.env_var} is set to {chosen}, which does not exist",
                    f"point {s.env_var} at {s.label}'s data, or unset it to use the default locations",
                )
            )
    if not found:
        checks.insert(
            0,
            Check(
                "sources",
                "warn",
                "no agent logs found on this machine (looked for " + ", ".join(missing) + ")",
                "set the agent's override variable if its logs live elsewhere (see docs/client.md, Sources)",
            ),
        )
        return checks
    detail = "found " + "; ".join(found)
    if missing:
        detail += "; not found: " + ", ".join(missing)
    checks.insert(0, Check("sources", "ok", detail))
    return checks


def _state() -> Check:
    path = state_path()
    if not path.exists():
        return Check("state", "ok", f"{path} (created by the first push)")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return Check("state", "warn", f"{path} is mode {mode:o}", f"chmod 600 {path}")
    return Check("state", "ok", f"{path} (mode 600)")


def run_checks() -> list[Check]:
    checks: list[Check] = []
    config_check, config = _config()
    checks += [config_check, _redaction(), *_sources(), _state()]
    if config is None:
        checks += [Check(n, "skip", "no configuration") for n in ("dns", "tls", "token", "clock")]
        return checks
    parts = urlsplit(config.endpoint)
    dns = _dns(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    checks.append(dns)
    if dns.level == "fail":
        checks += [Check(n, "skip", "no DNS") for n in ("tls", "token", "clock")]
        return checks
    tls, response = _tls(config)
    checks.append(tls)
    if tls.level == "fail":
        checks += [Check(n, "skip", "no connection") for n in ("token", "clock")]
        return checks
    checks += [_token(config), _clock(response)]
    return checks
