"""The TLS connection policy, as a table: host x sslmode x allow_insecure x DSN form.

The expectations here are written out by hand (which hosts are remote, what each
sslmode means) rather than derived from the module under test.
"""

from __future__ import annotations

import logging

import pytest
from psycopg.conninfo import conninfo_to_dict

from avcore.db.policy import (
    InsecureConnectionError,
    InvalidDsnError,
    effective_targets,
    is_local_target,
    plan_connection,
    redact,
    scrub_secret,
)

PASSWORD = "pw-S3cretFrag"
LOGGER = "avcore.db.policy"

# host -> (URI authority/query, keyword host value or None for "no host", remote hosts)
HOSTS: dict[str, tuple[str, str, str | None, tuple[str, ...]]] = {
    "db.example.com": ("db.example.com", "", "db.example.com", ("db.example.com",)),
    "10.1.2.3": ("10.1.2.3", "", "10.1.2.3", ("10.1.2.3",)),
    "2001:db8::1": ("[2001:db8::1]", "", "2001:db8::1", ("2001:db8::1",)),
    "localhost": ("localhost", "", "localhost", ()),
    "127.0.0.1": ("127.0.0.1", "", "127.0.0.1", ()),
    "127.5.6.7": ("127.5.6.7", "", "127.5.6.7", ()),
    "::1": ("[::1]", "", "::1", ()),
    "/var/run/postgresql": ("", "host=%2Fvar%2Frun%2Fpostgresql", "/var/run/postgresql", ()),
    "default socket": ("", "", None, ()),
    "a.example.com,127.0.0.1": ("a.example.com,127.0.0.1", "", "a.example.com,127.0.0.1", ("a.example.com",)),
}
SSLMODES = [None, "disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
PLAINTEXT_CAPABLE = {"disable", "allow", "prefer"}


def uri_dsn(host_key: str, sslmode: str | None) -> str:
    authority, query, _, _ = HOSTS[host_key]
    parts = [q for q in (query, f"sslmode={sslmode}" if sslmode else "") if q]
    return f"postgresql://av_ingest:{PASSWORD}@{authority}/av" + ("?" + "&".join(parts) if parts else "")


def keyword_dsn(host_key: str, sslmode: str | None) -> str:
    _, _, host, _ = HOSTS[host_key]
    words = [f"host={host}"] if host is not None else []
    words += ["user=av_ingest", f"password={PASSWORD}", "dbname=av"]
    if sslmode:
        words.append(f"sslmode={sslmode}")
    return " ".join(words)


FORMS = {"uri": uri_dsn, "keyword": keyword_dsn}


@pytest.mark.parametrize("allow_insecure", [False, True])
@pytest.mark.parametrize("sslmode", SSLMODES, ids=lambda m: m or "unset")
@pytest.mark.parametrize("host_key", list(HOSTS))
@pytest.mark.parametrize("form", list(FORMS))
def test_policy_table(
    form: str, host_key: str, sslmode: str | None, allow_insecure: bool, caplog: pytest.LogCaptureFixture
) -> None:
    dsn = FORMS[form](host_key, sslmode)
    remote = HOSTS[host_key][3]
    caplog.set_level(logging.WARNING, logger=LOGGER)

    if remote and sslmode in PLAINTEXT_CAPABLE and not allow_insecure:
        with pytest.raises(InsecureConnectionError) as err:
            plan_connection(dsn, allow_insecure=allow_insecure)
        message = str(err.value)
        for host in remote:
            assert host in message
        assert "127.0.0.1" not in message  # only the remote targets are blamed
        assert f"sslmode={sslmode}" in message
        assert "verify-full" in message
        assert "AV_DB_ALLOW_INSECURE" in message
        assert PASSWORD not in message
        return

    plan = plan_connection(dsn, allow_insecure=allow_insecure)
    params = plan.params
    assert plan.remote_targets == remote
    assert plan.requires_tls is bool(remote)
    # libpq must still get the credentials and host it was given
    reparsed = conninfo_to_dict(plan.conninfo())
    assert reparsed["password"] == PASSWORD
    assert reparsed["user"] == "av_ingest"
    assert reparsed["dbname"] == "av"
    expected_host = HOSTS[host_key][2]
    assert reparsed.get("host") == expected_host
    assert "-c TimeZone=UTC" in reparsed["options"]

    if remote and sslmode is None:
        assert params["sslmode"] == "verify-full"
        assert params["sslrootcert"] == "system"
        assert reparsed["sslmode"] == "verify-full"
        assert plan.sslmode == "verify-full"
    elif sslmode is not None:
        assert params["sslmode"] == sslmode
        assert plan.sslmode == sslmode
        assert "sslrootcert" not in params
    else:  # local, unset: left to libpq's default
        assert "sslmode" not in params
        assert "sslrootcert" not in params

    insecure = bool(remote) and sslmode in PLAINTEXT_CAPABLE
    warned = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    if insecure:
        assert allow_insecure
        assert len(plan.warnings) == 1
        warning = plan.warnings[0]
        assert "INSECURE" in warning
        for host in remote:
            assert host in warning
        assert f"sslmode={sslmode}" in warning
        assert PASSWORD not in warning
        assert len(warned) == 1
        assert warned[0].levelno == logging.WARNING
        assert warned[0].getMessage() == warning
    else:
        assert plan.warnings == ()
        assert warned == []


# --- the PG* environment --------------------------------------------------------------


def test_env_pghost_remote_with_a_dsn_lacking_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "db.example.com")
    plan = plan_connection(f"user=u password={PASSWORD} dbname=av")
    assert plan.remote_targets == ("db.example.com",)
    assert plan.params["sslmode"] == "verify-full"
    assert plan.params["sslrootcert"] == "system"

    uri_plan = plan_connection(f"postgresql://u:{PASSWORD}@/av")
    assert uri_plan.remote_targets == ("db.example.com",)
    assert uri_plan.params["sslmode"] == "verify-full"


def test_env_pghost_remote_with_plaintext_env_sslmode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "db.example.com")
    monkeypatch.setenv("PGSSLMODE", "prefer")
    with pytest.raises(InsecureConnectionError, match=r"db\.example\.com.*sslmode=prefer"):
        plan_connection("dbname=av")


def test_dsn_host_overrides_env_pghost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "db.example.com")
    monkeypatch.setenv("PGSSLMODE", "disable")
    plan = plan_connection("host=127.0.0.1 dbname=av")
    assert plan.remote_targets == ()
    assert plan.targets == ("127.0.0.1",)


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_env_pgsslmode_plaintext_is_refused_for_a_remote_dsn(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("PGSSLMODE", mode)
    with pytest.raises(InsecureConnectionError, match=f"sslmode={mode}"):
        plan_connection("postgresql://u@db.example.com/av")
    with pytest.raises(InsecureConnectionError, match=f"sslmode={mode}"):
        plan_connection("host=db.example.com dbname=av")


def test_env_pgsslmode_plaintext_is_fine_for_a_local_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGSSLMODE", "disable")
    plan = plan_connection("host=localhost dbname=av")
    assert plan.sslmode == "disable"
    assert plan.warnings == ()


@pytest.mark.parametrize(
    "form",
    [
        "postgresql://u@db.example.com/av?sslmode=verify-full",
        "host=db.example.com dbname=av sslmode=verify-full",
    ],
)
def test_dsn_sslmode_overrides_env_pgsslmode(monkeypatch: pytest.MonkeyPatch, form: str) -> None:
    monkeypatch.setenv("PGSSLMODE", "disable")
    plan = plan_connection(form)
    assert plan.sslmode == "verify-full"
    assert plan.params["sslmode"] == "verify-full"


def test_dsn_plaintext_sslmode_is_refused_even_if_env_says_verify_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    with pytest.raises(InsecureConnectionError, match="sslmode=allow"):
        plan_connection("host=db.example.com sslmode=allow")


def test_env_pgsslmode_require_is_respected_not_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGSSLMODE", "require")
    plan = plan_connection("host=db.example.com dbname=av")
    assert plan.sslmode == "require"
    # verify-full/system must not be forced on top (libpq refuses sslrootcert=system with require)
    assert plan.params.get("sslmode") in (None, "require")
    assert "sslrootcert" not in plan.params


def test_env_pgsslrootcert_is_not_overridden_by_system(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGSSLROOTCERT", "/etc/ssl/rds-ca.pem")
    plan = plan_connection("host=db.example.com dbname=av")
    assert plan.params["sslmode"] == "verify-full"
    assert "sslrootcert" not in plan.params  # libpq takes it from the environment


def test_env_pghostaddr_remote_makes_a_localhost_dsn_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOSTADDR", "10.0.0.5")
    with pytest.raises(InsecureConnectionError, match="10.0.0.5"):
        plan_connection("host=localhost sslmode=disable")


# --- hostaddr ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dsn", "insecure_dsn"),
    [
        (
            "host=localhost hostaddr=10.0.0.5 dbname=av",
            "host=localhost hostaddr=10.0.0.5 dbname=av sslmode=disable",
        ),
        (
            "postgresql://localhost/av?hostaddr=10.0.0.5",
            "postgresql://localhost/av?hostaddr=10.0.0.5&sslmode=disable",
        ),
    ],
)
def test_hostaddr_remote_wins_over_local_host(dsn: str, insecure_dsn: str) -> None:
    plan = plan_connection(dsn)
    assert plan.targets == ("10.0.0.5",)
    assert plan.remote_targets == ("10.0.0.5",)
    assert plan.params["sslmode"] == "verify-full"
    with pytest.raises(InsecureConnectionError, match="10.0.0.5"):
        plan_connection(insecure_dsn)


@pytest.mark.parametrize(
    "dsn",
    [
        "host=db.example.com hostaddr=127.0.0.1 dbname=av sslmode=disable",
        "postgresql://db.example.com/av?hostaddr=127.0.0.1&sslmode=disable",
    ],
)
def test_hostaddr_loopback_makes_a_remote_name_local(dsn: str) -> None:
    plan = plan_connection(dsn)
    assert plan.targets == ("127.0.0.1",)
    assert plan.remote_targets == ()
    assert plan.sslmode == "disable"
    assert plan.warnings == ()


def test_effective_targets_pairs_hosts_and_hostaddrs() -> None:
    assert effective_targets({"host": "a,b", "hostaddr": "10.0.0.1,"}) == ("10.0.0.1", "b")
    assert effective_targets({"host": "a, 127.0.0.1"}) == ("a", "127.0.0.1")
    assert effective_targets({"hostaddr": "::1"}) == ("::1",)
    assert effective_targets({}) == ()


@pytest.mark.parametrize(
    ("target", "local"),
    [
        ("", True),
        ("/tmp", True),
        ("/var/run/postgresql", True),
        ("@abstract", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("db.example.com", False),
        ("10.1.2.3", False),
        ("2001:db8::1", False),
        ("0.0.0.0", False),
        ("localhost.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("192.168.1.1", False),
    ],
)
def test_is_local_target(target: str, local: bool) -> None:
    assert is_local_target(target) is local


# --- defaults and what is kept ----------------------------------------------------------


def test_explicit_sslrootcert_is_kept() -> None:
    plan = plan_connection("host=db.example.com sslrootcert=/etc/ssl/rds.pem dbname=av")
    assert plan.params["sslmode"] == "verify-full"
    assert plan.params["sslrootcert"] == "/etc/ssl/rds.pem"
    uri = plan_connection("postgresql://db.example.com/av?sslrootcert=/etc/ssl/rds.pem&sslmode=verify-ca")
    assert uri.params["sslrootcert"] == "/etc/ssl/rds.pem"
    assert uri.params["sslmode"] == "verify-ca"


def test_unknown_sslmode_for_a_remote_host_is_refused() -> None:
    with pytest.raises(InsecureConnectionError, match="db.example.com"):
        plan_connection("host=db.example.com sslmode=sometimes")


@pytest.mark.parametrize(
    "dsn",
    [
        "host=db.example.com dbname=av options='-c statement_timeout=5000 -c work_mem=8MB'",
        "postgresql://db.example.com/av?options=-c%20statement_timeout%3D5000%20-c%20work_mem%3D8MB",
    ],
)
def test_options_set_utc_and_keep_user_options(dsn: str) -> None:
    options = plan_connection(dsn).params["options"]
    assert "-c statement_timeout=5000" in options
    assert "-c work_mem=8MB" in options
    assert "-c TimeZone=UTC" in options
    assert conninfo_to_dict(plan_connection(dsn).conninfo())["options"] == options


def test_options_from_env_pgoptions_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=1000")
    options = plan_connection("host=localhost").params["options"]
    assert "-c lock_timeout=1000" in options
    assert "-c TimeZone=UTC" in options


def test_every_plan_sets_timezone_utc_and_extra_server_settings() -> None:
    for dsn in ("", "host=localhost", "host=db.example.com", "postgresql:///av"):
        assert "-c TimeZone=UTC" in plan_connection(dsn).params["options"]
    plan = plan_connection("host=localhost", server_settings={"statement_timeout": "15000"})
    assert "-c statement_timeout=15000" in plan.params["options"]
    assert "-c TimeZone=UTC" in plan.params["options"]


def test_application_name_default_and_kept() -> None:
    assert (
        plan_connection("host=localhost", application_name="av-viewer").params["application_name"]
        == "av-viewer"
    )
    assert plan_connection("host=localhost application_name=mine").params["application_name"] == "mine"


# --- credentials never in messages ------------------------------------------------------


@pytest.mark.parametrize(
    "dsn",
    [
        f"host=db.example.com password={PASSWORD} garbage",
        f"host=db.example.com password='{PASSWORD}",
        f"host=db.example.com {PASSWORD}=x",
        f"postgresql://u:{PASSWORD}@db.example.com/av?{PASSWORD}",
        f"postgresql://u:{PASSWORD}@db.example.com/av?{PASSWORD}=1",
        f"postgresql://u:{PASSWORD}%zz@db.example.com/av",
        f"postgresql://u@db.example.com/av?password={PASSWORD}%zz",
    ],
)
def test_unparseable_dsn_error_has_no_password(dsn: str) -> None:
    with pytest.raises(InvalidDsnError) as err:
        plan_connection(dsn)
    assert "not valid" in str(err.value)
    assert "S3cret" not in str(err.value)
    assert "S3cret" not in repr(err.value)
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://u:{PASSWORD}@h/db",
        f"postgresql://u@h/db?password={PASSWORD}",
        f"postgresql://u@h/db?sslmode=require&password={PASSWORD}",
        f"host=h user=u password={PASSWORD} dbname=db",
        f"host=h user=u password='{PASSWORD} x' dbname=db",
    ],
)
def test_redact_drops_the_password(dsn: str) -> None:
    text = redact(dsn)
    assert PASSWORD not in text
    assert "password" not in text
    params = conninfo_to_dict(text)
    assert params["host"] == "h"
    assert params["user"] == "u"
    assert params["dbname"] == "db"


def test_redact_does_not_echo_an_unparseable_dsn() -> None:
    assert PASSWORD not in redact(f"host=h password='{PASSWORD}")


def test_scrub_secret_removes_the_password_from_messages() -> None:
    for dsn in (
        f"postgresql://u:{PASSWORD}@h/db",
        f"postgresql://u@h/db?password={PASSWORD}",
        f"host=h password={PASSWORD}",
    ):
        assert scrub_secret(f"boom near {PASSWORD}!", dsn) == "boom near ********!"
    assert scrub_secret("nothing here", "host=h") == "nothing here"
