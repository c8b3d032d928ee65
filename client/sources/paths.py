"""Where a source's logs live: an override variable, else default locations for this OS.

A default location is written as a path relative to the home directory, or
starting with one of the platform's base directories, which honour the
variables the agents themselves honour:

=============== ============================================ ===========================
token           value                                        usual default
=============== ============================================ ===========================
``{data}``      ``$XDG_DATA_HOME``                           ``~/.local/share``
``{config}``    ``$XDG_CONFIG_HOME``                         ``~/.config``
``{state}``     ``$XDG_STATE_HOME``                          ``~/.local/state``
``{appsup}``    (macOS) application support                  ``~/Library/Application Support``
``{appdata}``   ``%APPDATA%`` (Windows)                      ``~/AppData/Roaming``
``{localapp}``  ``%LOCALAPPDATA%`` (Windows)                 ``~/AppData/Local``
=============== ============================================ ===========================

Every path is resolved when asked (never at import), so tests and the CLI can
move ``HOME`` or the override variables.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

OS = Literal["linux", "macos", "windows", "any"]

_BASES: dict[str, tuple[str | None, str]] = {
    "{data}": ("XDG_DATA_HOME", ".local/share"),
    "{config}": ("XDG_CONFIG_HOME", ".config"),
    "{state}": ("XDG_STATE_HOME", ".local/state"),
    "{appsup}": (None, "Library/Application Support"),
    "{appdata}": ("APPDATA", "AppData/Roaming"),
    "{localapp}": ("LOCALAPPDATA", "AppData/Local"),
}

_SHOWN = {
    "{data}": "~/.local/share",
    "{config}": "~/.config",
    "{state}": "~/.local/state",
    "{appsup}": "~/Library/Application Support",
    "{appdata}": "%APPDATA%",
    "{localapp}": "%LOCALAPPDATA%",
}


def this_os() -> OS:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("win") or sys.platform == "cygwin":
        return "windows"
    return "linux"


@dataclass(frozen=True)
class Location:
    """One default place a source looks, on one OS (``any``: every OS)."""

    path: str
    os: OS = "any"

    def resolve(self) -> Path:
        head, _, rest = self.path.partition("/")
        base = _BASES.get(head)
        if base is None:
            return Path.home() / self.path
        var, fallback = base
        value = os.environ.get(var) if var else None
        root = Path(value).expanduser() if value and value.strip() else Path.home() / fallback
        return root / rest if rest else root

    def display(self) -> str:
        """How the docs write it: ``~/.local/share/opencode``, ``%APPDATA%/Code/User``."""
        head, _, rest = self.path.partition("/")
        shown = _SHOWN.get(head)
        if shown is None:
            return f"~/{self.path}"
        return f"{shown}/{rest}" if rest else shown

    def applies(self, os_name: OS) -> bool:
        return self.os in ("any", os_name)


def linux(path: str) -> Location:
    return Location(path, "linux")


def macos(path: str) -> Location:
    return Location(path, "macos")


def windows(path: str) -> Location:
    return Location(path, "windows")


def anywhere(path: str) -> Location:
    return Location(path, "any")


def override(var: str) -> Path | None:
    """``$var`` with ``~`` expanded when set to something other than blanks, else None."""
    value = os.environ.get(var)
    return Path(value.strip()).expanduser() if value and value.strip() else None


def env_or_home(var: str, *under_home: str) -> Path:
    """``$var`` (``~`` expanded) when set, else ``~/<under_home...>``; read at call time."""
    return override(var) or Path.home().joinpath(*under_home)
