"""Secrets Manager values, held for a short time and re-read on demand, so rotation needs no redeploy.

A container keeps a secret for ``max_age_s`` (``AV_SECRET_MAX_AGE_S``, 5 minutes by
default), then reads it again on next use; a caller that has just been refused with the
value it holds (a database password that no longer works) asks for a fresh read at once
with ``force=True``. Either way a rotated secret is picked up by running containers:
nothing is resolved at deploy time, and nothing needs redeploying.

Besides the current version (``AWSCURRENT``) a caller may read the others Secrets
Manager keeps during and after a rotation: ``AWSPREVIOUS`` (the viewer still accepts
cookies signed with the previous key) and ``AWSPENDING`` (the new database password,
already set on the server while the rotation function has not yet made it current).

Errors name the secret's ARN and the AWS error, never a value. boto3 is imported on
first use only: the Lambda runtime provides it, and deployments without secrets never
pay for the import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

DEFAULT_MAX_AGE_S = 300.0
CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"


class SecretError(RuntimeError):
    """A secret could not be read; the message names it and the reason, never its value."""


class SecretUnusable(SecretError):
    """A secret was read, but what it holds cannot serve (a cookie key that is too short): an
    operator's fault, not a moment's outage. ``str()`` names the secret and the reason, for the
    log; :attr:`public` names the setting, without the secret's name or value, for an answer."""

    def __init__(self, setting: str, problem: str, detail: str) -> None:
        super().__init__(f"{setting}: {detail}")
        self.setting = setting
        self.public = f"the setting {setting} is unusable: {problem}; see the function's log"


def _boto3_client() -> Any:
    import boto3  # imported here: only deployments that use a secret pay for boto3

    return boto3.client("secretsmanager")


class SecretStore:
    """Thread-safe per-container cache of secret versions, each kept for ``max_age_s``."""

    def __init__(
        self,
        *,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
        client_factory: Callable[[], Any] = _boto3_client,
    ) -> None:
        self.max_age_s = max_age_s
        self._clock = clock
        self._client_factory = client_factory
        self._client: Any = None
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], tuple[str | None, float]] = {}
        self.reads = 0  # calls to Secrets Manager, for tests and logs

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._client = None
            self.reads = 0

    def get(
        self, arn: str, *, stage: str = CURRENT, force: bool = False, max_age_s: float | None = None
    ) -> str | None:
        """The secret's value at ``stage``; None when that stage does not exist (e.g. no rotation yet)."""
        key = (arn, stage)
        max_age = self.max_age_s if max_age_s is None else max_age_s
        with self._lock:
            held = self._values.get(key)
            if held is not None and not force and self._clock() - held[1] < max_age:
                return held[0]
            value = self._read(arn, stage)
            self._values[key] = (value, self._clock())
            return value

    def current(self, arn: str, *, force: bool = False, max_age_s: float | None = None) -> str:
        value = self.get(arn, force=force, max_age_s=max_age_s)
        if value is None:
            raise SecretError(f"secret {arn} has no {CURRENT} version")
        return value

    def _read(self, arn: str, stage: str) -> str | None:
        if self._client is None:
            self._client = self._client_factory()
        self.reads += 1
        try:
            response = self._client.get_secret_value(SecretId=arn, VersionStage=stage)
        except Exception as exc:  # botocore's errors carry no secret material
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if stage != CURRENT and code == "ResourceNotFoundException":
                return None  # that stage is not attached to any version right now
            raise SecretError(f"cannot read secret {arn} ({stage}): {type(exc).__name__}: {exc}") from None
        value = response.get("SecretString")
        if value is None:
            raise SecretError(f"secret {arn} holds binary data; store the value as a string")
        return str(value)


# One store per process: every setting that names a secret reads it through this.
store = SecretStore()
