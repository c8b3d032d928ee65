"""The operator commands on PostgreSQL shaped like Amazon RDS / Aurora: no superuser anywhere.

A cluster of its own (roles are cluster-wide, and the shared test server's were made by a
superuser) that accepts TCP only over TLS. Its bootstrap superuser plays AWS: it creates
``rds_superuser`` and a master user with exactly the powers RDS gives one (LOGIN,
CREATEROLE, CREATEDB, member of rds_superuser; not SUPERUSER, REPLICATION or BYPASSRLS).
From then on every command runs as that master user, with ``sslmode=verify-full``.
"""

from __future__ import annotations

import secrets

import psycopg
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from psycopg import sql
from psycopg.conninfo import make_conninfo

from avcore.settings import IngestSettings, ViewerSettings
from infra.cli import main
from tests.apps import SESSION_SECRET, make_session, push_body
from tests.infra.conftest import AV_ROLES, MASTER, ManagedPg


def admin(pg: ManagedPg, *args: str, dsn: str | None = None, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, [*args, "--dsn", dsn or pg.master_dsn], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def roles_present(pg: ManagedPg) -> set[str]:
    with pg.superuser() as conn:
        rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (list(AV_ROLES),))
        return {r[0] for r in rows}


def weak_user(pg: ManagedPg) -> str:
    """A login without CREATEROLE that nonetheless owns nothing and belongs to nothing."""
    password = secrets.token_urlsafe(12)
    with pg.superuser() as conn:
        conn.execute(sql.SQL("CREATE ROLE av_weak LOGIN PASSWORD {}").format(sql.Literal(password)))
    return pg.dsn("av_weak", password)


def test_the_master_user_is_shaped_like_rds(managed: ManagedPg) -> None:
    with psycopg.connect(managed.master_dsn) as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, "
            "pg_has_role('rds_superuser', 'MEMBER') FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (False, True, True, False, False, True)
        assert conn.pgconn.ssl_in_use
        assert conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'av'"
        ).fetchone() == (MASTER,)


def test_the_whole_operator_sequence_runs_as_the_master_user(managed: ManagedPg) -> None:
    ingest_pw, viewer_pw = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    env = {"AV_INGEST_DB_PASSWORD": ingest_pw, "AV_VIEWER_DB_PASSWORD": viewer_pw}

    planned = admin(managed, "roles", "--dry-run", env=env)
    assert planned.exit_code == 0, planned.output
    assert 'CREATE ROLE "av_owner" NOLOGIN;' in planned.output
    assert 'CREATE ROLE "av_ingest" LOGIN;' in planned.output
    assert """ALTER ROLE "av_ingest" PASSWORD '********'""" in planned.output
    assert ingest_pw not in planned.output and "SCRAM" not in planned.output
    assert 'GRANT "av_owner" TO "av_master"' in planned.output
    assert 'CREATE SCHEMA "av" AUTHORIZATION "av_owner"' in planned.output
    assert "SUPERUSER" not in planned.output.replace("needs", "")  # nothing only a superuser may send
    assert roles_present(managed) == set(), "--dry-run changed something"

    made = admin(managed, "roles", env=env)
    assert made.exit_code == 0, made.output
    assert roles_present(managed) == set(AV_ROLES)
    again = admin(managed, "roles", "--dry-run")
    assert "nothing to change" in again.output, again.output
    assert "nothing to change" in admin(managed, "roles").output

    migration_plan = admin(managed, "migrate", "--dry-run")
    assert migration_plan.exit_code == 0 and 'SET ROLE "av_owner";' in migration_plan.output
    assert "-- 0001_initial" in migration_plan.output
    with managed.superuser("av") as conn:
        assert conn.execute("SELECT to_regclass('av.sessions')").fetchone() == (None,)
    migrated = admin(managed, "migrate")
    assert migrated.exit_code == 0 and "schema is at version" in migrated.output, migrated.output
    assert "nothing to apply" in admin(managed, "migrate", "--dry-run").output

    device_plan = admin(managed, "device", "add", "laptop", "--dry-run")
    assert "INSERT INTO devices" in device_plan.output and "avd_" not in device_plan.output.replace(
        "'avd_…'", ""
    )
    device = admin(managed, "device", "add", "laptop")
    assert device.exit_code == 0, device.output
    device_token = device.stdout.strip().splitlines()[-1]
    viewer = admin(managed, "viewer", "add", "me")
    assert viewer.exit_code == 0, viewer.output
    viewer_token = viewer.stdout.strip().splitlines()[-1]
    listed = admin(managed, "device", "list")
    assert "laptop" in listed.output and device_token not in listed.output

    # The roles it made work for the functions, over TLS, with the passwords it was given.
    from ingest_fn.app import create_app as create_ingest
    from viewer_fn.app import create_app as create_viewer

    ingest_app = create_ingest(
        IngestSettings(database_url=managed.dsn("av_ingest", ingest_pw), environment="local")
    )
    with TestClient(ingest_app) as client:
        pushed = client.post(
            "/v1/push",
            json=push_body(make_session("s1")),
            headers={"Authorization": f"Bearer {device_token}"},
        )
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["results"][0]["status"] == "applied"
    ingest_app.state.db.close()
    viewer_app = create_viewer(
        ViewerSettings(
            database_url=managed.dsn("av_viewer", viewer_pw),
            session_secret=SESSION_SECRET,
            environment="local",
        )
    )
    with TestClient(viewer_app) as client:
        listed_sessions = client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {viewer_token}"})
        assert listed_sessions.status_code == 200, listed_sessions.text
    viewer_app.state.db.close()

    assert admin(managed, "device", "revoke", "1").exit_code == 0
    assert "revoked" in admin(managed, "device", "list").output


def test_without_createrole_the_refusal_names_it_and_changes_nothing(managed: ManagedPg) -> None:
    result = admin(managed, "roles", dsn=weak_user(managed))
    assert result.exit_code == 1
    assert "av_weak has neither CREATEROLE nor SUPERUSER" in result.output
    assert "master user" in result.output and "Nothing was changed" in result.output
    assert roles_present(managed) == set()


def test_a_refused_statement_is_named_with_its_privilege_and_rolls_everything_back(
    managed: ManagedPg,
) -> None:
    assert admin(managed, "roles").exit_code == 0
    with managed.superuser("av") as conn:  # someone made av_ingest a superuser behind our back
        conn.execute("ALTER ROLE av_ingest SUPERUSER")
        conn.execute("ALTER ROLE av_viewer NOLOGIN")
    result = admin(managed, "roles")
    assert result.exit_code == 1
    assert 'ALTER ROLE "av_ingest" NOSUPERUSER' in result.output
    assert "only a superuser can change the SUPERUSER" in result.output
    assert "Nothing was changed" in result.output
    with managed.superuser() as conn:  # the earlier statement of the same plan was rolled back
        assert conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'av_viewer'").fetchone() == (
            False,
        )
        conn.execute("ALTER ROLE av_ingest NOSUPERUSER")


def test_migrate_and_credentials_need_membership_and_say_so(managed: ManagedPg) -> None:
    assert admin(managed, "roles").exit_code == 0
    assert admin(managed, "migrate").exit_code == 0
    weak = weak_user(managed)
    for args in (("migrate",), ("device", "add", "x"), ("viewer", "add", "x"), ("device", "list")):
        result = admin(managed, *args, dsn=weak)
        assert result.exit_code == 1, (args, result.output)
        assert "av_weak is not a member of av_owner" in result.output, (args, result.output)
        assert "GRANT av_owner TO av_weak" in result.output


def test_roles_on_a_database_the_caller_does_not_own_names_the_owner(managed: ManagedPg) -> None:
    with managed.superuser() as conn:
        conn.execute("CREATE DATABASE av_other")  # owned by the bootstrap superuser, like rdsadmin's
    try:
        result = admin(managed, "roles", dsn=managed.dsn(MASTER, managed.master_password, "av_other"))
        assert result.exit_code == 1
        assert "GRANT CREATE, CONNECT ON DATABASE" in result.output
        assert "ownership of database av_other (owned by postgres" in result.output
        assert roles_present(managed) == set()
    finally:
        with managed.superuser() as conn:
            conn.execute("DROP DATABASE av_other WITH (FORCE)")


def test_plaintext_is_impossible_and_a_plaintext_dsn_to_a_remote_host_is_refused(managed: ManagedPg) -> None:
    plain = make_conninfo(managed.master_dsn, sslmode="disable")
    result = admin(managed, "roles", dsn=plain)
    assert result.exit_code == 1 and "no encryption" in result.output  # pg_hba: hostssl only
    remote = "postgresql://av_master:hunter2@db.example.com/av?sslmode=prefer"
    refused = admin(managed, "migrate", dsn=remote)
    assert refused.exit_code == 1 and "verify-full" in refused.output and "hunter2" not in refused.output
