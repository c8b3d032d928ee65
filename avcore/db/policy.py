"""The one connection policy both functions use to reach PostgreSQL.

What libpq will actually do is decided by libpq, so this module never parses a
connection string itself: the DSN goes through ``conninfo_to_dict`` (libpq's
``PQconninfoParse``) and the ``PG*`` environment through ``Conninfo.get_defaults``
(libpq's ``PQconndefaults``). From that effective view:

* every target is either local (a Unix socket, ``localhost`` or a loopback IP,
  with ``hostaddr`` taking precedence over ``host`` because that is where libpq
  sends the bytes) or remote;
* for remote targets ``sslmode`` defaults to ``verify-full`` (and ``sslrootcert``
  to ``system``), and any mode that could fall back to plaintext (``disable``,
  ``allow``, ``prefer``) is refused, unless ``allow_insecure`` downgrades the
  refusal to a loud warning;
* after connecting, :func:`check_connected` asks the live connection whether TLS
  is really in use, so nothing above has to be trusted blindly.

Every connection also gets ``TimeZone=UTC`` and the av-cloud ``search_path``.
Error messages name hosts, never credentials: see :func:`redact`.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from dataclasses import dataclass, field

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import pq

from avcore.schema import DB_SCHEMA

log = logging.getLogger(__name__)

PLAINTEXT_CAPABLE_MODES = frozenset({"disable", "allow", "prefer"})
TLS_MODES = frozenset({"require", "verify-ca", "verify-full"})
DEFAULT_REMOTE_SSLMODE = "verify-full"
FIX_HINT = (
    "use sslmode=verify-full (with sslrootcert=<CA bundle> or sslrootcert=system), "
    "or set AV_DB_ALLOW_INSECURE=true to connect anyway (not recommended)"
)


class InsecureConnectionError(RuntimeError):
    """The connection could carry data in plaintext to a non-local host.

    ``str()`` names the host (for the log); :attr:`problem` says what is wrong without it, for
    an HTTP answer.
    """

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class InvalidDsnError(ValueError):
    """libpq could not parse the connection string."""


@dataclass(frozen=True)
class ConnectionPlan:
    """What to hand psycopg, plus what the policy concluded (for messages and tests)."""

    params: dict[str, str]
    targets: tuple[str, ...]
    remote_targets: tuple[str, ...]
    sslmode: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def requires_tls(self) -> bool:
        return bool(self.remote_targets)

    @property
    def display_host(self) -> str:
        return ",".join(self.targets) or "the default Unix socket"

    def conninfo(self) -> str:
        return pg_conninfo.make_conninfo("", **self.params)


def _scrub_quoted(message: str) -> str:
    # libpq quotes the offending fragment of an unparseable DSN; that fragment may
    # be part of a password, so it never reaches an error message.
    return re.sub(r'"[^"]*"', '"…"', message)


def parse_dsn(dsn: str) -> dict[str, str]:
    """libpq's own reading of ``dsn`` (URI or keyword form); credentials never in errors."""
    try:
        return {k: str(v) for k, v in pg_conninfo.conninfo_to_dict(dsn).items() if v is not None}
    except psycopg.ProgrammingError as exc:
        raise InvalidDsnError(
            f"the database connection string is not valid: {_scrub_quoted(str(exc).strip())}"
        ) from None


def check_ports(params: dict[str, str]) -> None:
    """Refuse a ``port`` libpq would only reject when connecting (``invalid integer value``): a
    DSN with ``port=abc`` would plan, so the health check would pass and every query fail."""
    for port in params.get("port", "").split(","):
        port = port.strip()
        if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            raise InvalidDsnError(
                "the database connection string is not valid: its port must be a number from 1 to 65535"
            )


def environment_params() -> dict[str, str]:
    """Connection parameters that the ``PG*`` environment sets, as libpq reads them."""
    params: dict[str, str] = {}
    for opt in pq.Conninfo.get_defaults():
        if opt.envvar and opt.val is not None and os.environ.get(opt.envvar.decode()) is not None:
            params[opt.keyword.decode()] = opt.val.decode()
    return params


def is_local_target(target: str) -> bool:
    """True for Unix sockets, ``localhost`` and loopback addresses."""
    if not target or target.startswith(("/", "@")):
        return True
    if target.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(target.strip("[]")).is_loopback
    except ValueError:
        return False


def effective_targets(params: dict[str, str]) -> tuple[str, ...]:
    """Where libpq will connect: per host entry, ``hostaddr`` wins over ``host``."""
    hosts = params.get("host", "").split(",") if params.get("host") else []
    addrs = params.get("hostaddr", "").split(",") if params.get("hostaddr") else []
    count = max(len(hosts), len(addrs))
    targets = []
    for i in range(count):
        addr = addrs[i].strip() if i < len(addrs) else ""
        host = hosts[i].strip() if i < len(hosts) else ""
        targets.append(addr or host)
    return tuple(targets)


def _merge_options(existing: str, extra: dict[str, str]) -> str:
    settings = " ".join(f"-c {key}={value}" for key, value in extra.items())
    return f"{existing} {settings}".strip()


def plan_connection(
    dsn: str,
    *,
    allow_insecure: bool = False,
    server_settings: dict[str, str] | None = None,
    application_name: str = "av-cloud",
) -> ConnectionPlan:
    """Apply the TLS policy to ``dsn`` and the environment; raise if it is unsafe."""
    from_dsn = parse_dsn(dsn)
    effective = {**environment_params(), **from_dsn}
    check_ports(effective)
    targets = effective_targets(effective)
    remote = tuple(t for t in targets if not is_local_target(t))

    params = dict(from_dsn)
    warnings: list[str] = []
    sslmode = effective.get("sslmode") or ("require" if effective.get("requiressl") == "1" else "")
    if remote:
        if not sslmode:
            sslmode = DEFAULT_REMOTE_SSLMODE
            params["sslmode"] = sslmode
            if not effective.get("sslrootcert"):
                params["sslrootcert"] = "system"
        if sslmode in PLAINTEXT_CAPABLE_MODES:
            message = (
                f"refusing to connect to PostgreSQL at {', '.join(remote)} with sslmode={sslmode}, "
                f"which can fall back to plaintext; {FIX_HINT}"
            )
            if not allow_insecure:
                raise InsecureConnectionError(
                    message,
                    f"its sslmode={sslmode} lets the connection to a remote database fall back to "
                    "plaintext; use sslmode=verify-full, or set AV_DB_ALLOW_INSECURE=true",
                )
            warnings.append("INSECURE (allow_insecure is set): " + message)
        elif sslmode not in TLS_MODES:
            raise InsecureConnectionError(
                f"unknown sslmode={sslmode!r} for PostgreSQL at {', '.join(remote)}; {FIX_HINT}",
                "its sslmode is not one of libpq's; use sslmode=verify-full",
            )
    else:
        sslmode = sslmode or "prefer"

    settings = {"TimeZone": "UTC", "search_path": DB_SCHEMA, **(server_settings or {})}
    params["options"] = _merge_options(effective.get("options", ""), settings)
    params.setdefault("application_name", application_name)
    for warning in warnings:
        log.warning(warning)
    return ConnectionPlan(
        params=params, targets=targets, remote_targets=remote, sslmode=sslmode, warnings=tuple(warnings)
    )


def check_connected(conn: psycopg.Connection, plan: ConnectionPlan, *, allow_insecure: bool) -> None:
    """Re-check on the live connection that a non-local peer is spoken to over TLS."""
    connected_to = conn.info.hostaddr or conn.info.host
    if is_local_target(connected_to) or conn.pgconn.ssl_in_use:
        return
    message = (
        f"connected to PostgreSQL at {connected_to} without TLS although it is not a local host; {FIX_HINT}"
    )
    if allow_insecure:
        log.warning("INSECURE (allow_insecure is set): %s", message)
        return
    conn.close()
    raise InsecureConnectionError(message, "the remote database answered without TLS")


def redact(dsn: str) -> str:
    """The DSN without its password, for messages; unparseable DSNs are not echoed at all."""
    try:
        params = parse_dsn(dsn)
    except InvalidDsnError:
        return "<unparseable connection string>"
    params.pop("password", None)
    return pg_conninfo.make_conninfo("", **params)


def scrub_secret(message: str, dsn: str) -> str:
    """Remove the DSN's password from a message (driver errors may echo parts of it)."""
    try:
        password = parse_dsn(dsn).get("password")
    except InvalidDsnError:
        password = None
    if password:
        message = message.replace(password, "********")
    return message
