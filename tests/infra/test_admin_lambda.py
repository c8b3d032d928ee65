"""AdminFunction against the RDS-shaped cluster, secrets in moto, CloudFormation played by a local server.

The secrets have the shapes the stack gives them: the RDS-managed master secret holds only a
username and a password (host, port and database come from the function's environment); the
roles' secrets are the RDS JSON shape with generated passwords.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import psycopg
import pytest
from moto import mock_aws

from avcore.schema import SCHEMA_VERSION
from avcore.secrets import store as secret_store
from infra import admin_lambda
from tests.infra.conftest import MASTER, ManagedPg


class CloudFormation:
    """Collects custom resource answers PUT to the pre-signed ResponseURL."""

    def __init__(self) -> None:
        answers: list[dict[str, Any]] = []
        self.answers = answers

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:  # noqa: N802 - the http.server API
                answers.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def event(self, request_type: str, **properties: str) -> dict[str, Any]:
        return {
            "RequestType": request_type,
            "ResponseURL": f"http://127.0.0.1:{self.server.server_port}/response",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/av/x",
            "RequestId": secrets.token_hex(8),
            "LogicalResourceId": "SchemaMigration",
            "ResourceType": "Custom::AvSchema",
            "ResourceProperties": {"ServiceToken": "arn:x", **properties},
        }


@pytest.fixture
def cloudformation() -> Iterator[CloudFormation]:
    cfn = CloudFormation()
    yield cfn
    cfn.server.shutdown()


@pytest.fixture
def stack(managed: ManagedPg, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment template.yaml gives AdminFunction when the stack created the database."""
    secret_store.clear()
    with mock_aws():
        sm = boto3.client("secretsmanager")

        def secret(name: str, value: dict[str, Any]) -> str:
            return str(sm.create_secret(Name=name, SecretString=json.dumps(value))["ARN"])

        passwords = {role: secrets.token_urlsafe(24) for role in ("av_ingest", "av_viewer")}
        shape = {"engine": "postgres", "host": "localhost", "port": managed.cluster.port, "dbname": "av"}
        env = {
            "AV_ADMIN_SECRET_ARN": secret(
                "rds!cluster-x", {"username": MASTER, "password": managed.master_password}
            ),
            "AV_ADMIN_DB_HOST": "localhost",
            "AV_ADMIN_DB_PORT": str(managed.cluster.port),
            "AV_ADMIN_DB_NAME": "av",
            "AV_INGEST_SECRET_ARN": secret(
                "av/ingest", {**shape, "username": "av_ingest", "password": passwords["av_ingest"]}
            ),
            "AV_VIEWER_SECRET_ARN": secret(
                "av/viewer", {**shape, "username": "av_viewer", "password": passwords["av_viewer"]}
            ),
            "PGSSLROOTCERT": str(managed.ca_cert),
            "PGSSLMODE": "verify-full",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield {**env, **{f"password:{k}": v for k, v in passwords.items()}}
    secret_store.clear()


def test_the_deploy_hook_makes_roles_and_schema_and_answers_cloudformation(
    managed, stack, cloudformation
) -> None:
    admin_lambda.handler(
        cloudformation.event("Create", ManageRoles="true", SchemaVersion=str(SCHEMA_VERSION)), None
    )
    answer = cloudformation.answers[-1]
    assert answer["Status"] == "SUCCESS", answer
    assert answer["Data"] == {"SchemaVersion": str(SCHEMA_VERSION)}
    assert answer["PhysicalResourceId"] == "av-schema" and answer["LogicalResourceId"] == "SchemaMigration"
    # the roles got the passwords of the secrets the functions read
    for role in ("av_ingest", "av_viewer"):
        with psycopg.connect(managed.dsn(role, stack[f"password:{role}"])) as conn:
            assert conn.execute("SELECT count(*) FROM av.sessions").fetchone() == (0,)

    update = cloudformation.event("Update", ManageRoles="true", SchemaVersion=str(SCHEMA_VERSION))
    update["PhysicalResourceId"] = "av-schema"
    admin_lambda.handler(update, None)
    assert cloudformation.answers[-1]["Status"] == "SUCCESS"

    delete = cloudformation.event("Delete")
    delete["PhysicalResourceId"] = "av-schema"
    admin_lambda.handler(delete, None)
    assert cloudformation.answers[-1]["Status"] == "SUCCESS"
    with managed.superuser("av") as conn:  # a deleted stack keeps the data
        assert conn.execute("SELECT to_regclass('av.sessions') IS NOT NULL").fetchone() == (True,)


def test_a_failing_deploy_hook_answers_failed_with_the_reason(
    managed, stack, cloudformation, monkeypatch
) -> None:
    monkeypatch.setenv("AV_ADMIN_DB_NAME", "no_such_database")
    admin_lambda.handler(cloudformation.event("Create", ManageRoles="true"), None)
    answer = cloudformation.answers[-1]
    assert answer["Status"] == "FAILED"
    assert "no_such_database" in answer["Reason"] and managed.master_password not in answer["Reason"]


def test_operator_commands_through_the_function(managed, stack, cloudformation) -> None:
    admin_lambda.handler(cloudformation.event("Create", ManageRoles="true"), None)
    status = admin_lambda.handler({"command": "status"}, None)
    assert status == {
        "ok": True,
        "schema_version": SCHEMA_VERSION,
        "code_schema_version": SCHEMA_VERSION,
        "pending": [],
    }
    added = admin_lambda.handler({"command": "device-add", "name": "laptop"}, None)
    assert added["ok"] and added["token"].startswith("avd_")
    listed = admin_lambda.handler({"command": "device-list"}, None)
    assert [d["name"] for d in listed["devices"]] == ["laptop"] and added["token"] not in json.dumps(listed)
    viewer = admin_lambda.handler({"command": "viewer-add", "name": "me"}, None)
    assert viewer["ok"] and viewer["token"].startswith("avv_")
    assert admin_lambda.handler({"command": "device-revoke", "id": added["device_id"]}, None)["ok"]
    again = admin_lambda.handler({"command": "device-revoke", "id": added["device_id"]}, None)
    assert again == {"ok": False, "error": f"no active device with id {added['device_id']}"}
    plan = admin_lambda.handler({"command": "roles", "dry_run": True}, None)
    assert (
        plan["ok"] and "PASSWORD '********'" in plan["sql"] and stack["password:av_ingest"] not in plan["sql"]
    )
    assert admin_lambda.handler({"command": "nope"}, None)["error"].startswith("unknown command 'nope'")
    assert admin_lambda.handler({"command": "device-add"}, None) == {
        "ok": False,
        "error": "device-add needs 'name' in the event",
    }


def test_a_new_token_never_reaches_the_log(managed, stack, cloudformation, caplog) -> None:
    admin_lambda.handler(cloudformation.event("Create", ManageRoles="true"), None)
    with caplog.at_level("DEBUG"):
        added = admin_lambda.handler({"command": "device-add", "name": "laptop"}, None)
    logged = repr([record.__dict__ for record in caplog.records])
    assert "device-add" in logged and added["token"] not in logged


def test_the_migrate_command_rebuilds_an_index_an_interrupted_build_left_invalid(
    managed, stack, cloudformation
) -> None:
    """0012 runs outside a transaction from the function too, as the RDS-shaped master: a build cut
    off (here cancelled while it waits for an older writer) is left INVALID, and `migrate` rebuilds it."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.infra.test_migrate_online import held_writer, index_valid, wait_for, waits_for_a_lock

    admin_lambda.handler(cloudformation.event("Create", ManageRoles="true"), None)
    build = (
        "CREATE INDEX CONCURRENTLY search_chunks_day_words ON av.search_chunks USING gin ((hour / 24), tsv)"
    )
    with (
        managed.superuser("av") as watcher,
        managed.superuser("av") as builder,
        ThreadPoolExecutor(1) as pool,
    ):
        watcher.execute("DROP INDEX av.search_chunks_day_words")
        watcher.execute("DELETE FROM av.schema_migrations WHERE version = 12")
        with held_writer(managed.cluster.socket_dsn(dbname="av")):
            cut_off = pool.submit(builder.execute, build)
            wait_for("the build waits", lambda: waits_for_a_lock(watcher, builder.info.backend_pid))
            watcher.execute("SELECT pg_cancel_backend(%s)", (builder.info.backend_pid,))
            with pytest.raises(psycopg.errors.QueryCanceled):
                cut_off.result(timeout=60)
        assert index_valid(watcher) is False
        plan = admin_lambda.handler({"command": "migrate", "dry_run": True}, None)
        assert 'DROP INDEX CONCURRENTLY IF EXISTS "av"."search_chunks_day_words";' in plan["sql"], plan
        ran = admin_lambda.handler({"command": "migrate"}, None)
        assert ran == {"ok": True, "applied": ["0012_search_by_day"], "schema_version": SCHEMA_VERSION}
        assert index_valid(watcher) is True
