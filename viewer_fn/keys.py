"""The viewer's signing key for login cookies and cursors: fixed, or rotated in Secrets Manager.

With ``AV_SESSION_SECRET_ARN`` the key is read at run time (never resolved into the
function's configuration at deploy time), first by the first request that needs it (not at the
cold start: docs/deployment.md, "Cold start"), and held ``AV_SECRET_MAX_AGE_S``; after a
rotation the new key signs, and the previous one (``AWSPREVIOUS``) is still accepted,
so nobody is logged out and no cursor breaks. Rotating twice within one cookie
lifetime retires the oldest key, and logins signed with it must log in again.
"""

from __future__ import annotations

import threading

from avcore.secrets import PREVIOUS, SecretUnusable
from avcore.secrets import store as secret_store
from avcore.settings import ViewerSettings, check_session_key
from viewer_fn.signing import Signer


class SigningKeys:
    """Hands out the current :class:`Signer`; reads the secret again when the held copy is old."""

    def __init__(self, settings: ViewerSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._held: tuple[str, str | None] | None = None
        self._signer: Signer | None = None
        if settings.session_secret is not None:
            self._signer = Signer(settings.session_secret.get_secret_value())

    def signer(self) -> Signer:
        arn = self._settings.session_secret_arn
        if self._settings.session_secret is not None or arn is None:
            assert self._signer is not None
            return self._signer
        max_age = self._settings.secret_max_age_s
        current = secret_store.current(arn, max_age_s=max_age)
        previous = secret_store.get(arn, stage=PREVIOUS, max_age_s=max_age)
        with self._lock:
            if self._held != (current, previous) or self._signer is None:
                try:
                    check_session_key(current, "the key in its secret")
                except ValueError as exc:
                    raise SecretUnusable(
                        "AV_SESSION_SECRET_ARN", str(exc), f"the secret {arn}: {exc}"
                    ) from None
                usable_previous = [p for p in (previous,) if p and p != current and len(p) >= 32]
                self._signer = Signer(current, *usable_previous)
                self._held = (current, previous)
            return self._signer
