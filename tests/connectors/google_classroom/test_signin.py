"""Signing in: the service account's JWT bearer grant against the server's check of it,
check() with good and bad settings, and settings that cannot work refused up front."""

from __future__ import annotations

import asyncio
import json

import pytest

from connectors.google_classroom import ClassroomConnector
from gateway.abc import Capability, ConnectorKind
from gateway.errors import ConfigError
from gateway.plugins import connector_class
from gateway.push.destination import Destination
from gateway.testing.lms.classroom import service_account_key
from tests.connectors.google_classroom.conftest import TEACHER, World, assignment


def test_registered_as_a_push_only_lms_destination(world: World) -> None:
    cls = connector_class("google-classroom")
    assert cls is ClassroomConnector
    assert issubclass(cls, Destination)
    assert cls.kind is ConnectorKind.LMS
    assert cls.capabilities == frozenset({Capability.CHECK, Capability.PUSH})
    connector = world.connector()
    assert connector.streams() == ()

    async def pull() -> None:
        async for _ in connector.pull(None):
            pass

    with pytest.raises(ConfigError, match="push-only destination"):
        asyncio.run(pull())


def test_check_signs_in_with_the_key_and_acts_for_the_subject(world: World) -> None:
    result = asyncio.run(world.connector().check())
    assert result.ok, result.message
    assert TEACHER in result.message
    assert world.key["client_email"] in result.message
    assert world.server.tokens_issued == 1


def test_check_opens_the_check_class_course(world: World) -> None:
    good = asyncio.run(world.connector(check_class="CLS-1").check())
    assert good.ok, good.message
    assert "course d:CLS-1" in good.message
    missing = asyncio.run(world.connector(check_class="CLS-404").check())
    assert not missing.ok
    assert "no Classroom course d:CLS-404" in missing.message
    assert "alias" in missing.message


def test_a_key_google_does_not_know_is_refused_with_what_to_fix(world: World) -> None:
    other = service_account_key("district-project")  # same account name, another key
    other["client_email"], other["token_uri"] = world.key["client_email"], world.key["token_uri"]
    config = world.config(service_account=json.dumps(other))
    connector = ClassroomConnector.from_mapping(config)
    result = asyncio.run(connector.check())
    assert not result.ok
    assert "Invalid JWT Signature" in result.message
    assert "current JSON key file" in result.message
    assert "PRIVATE KEY" not in result.message and "eyJ" not in result.message

    async def find() -> None:
        assert isinstance(connector, ClassroomConnector)
        try:
            await connector.find_assignment(assignment())
        finally:
            await connector.aclose()

    with pytest.raises(ConfigError, match="refused to sign in the service account"):
        asyncio.run(find())


def test_missing_delegation_and_unknown_subject_say_what_to_set(world: World) -> None:
    world.server.add_service_account(world.key, scopes=())  # delegation without the scope
    result = asyncio.run(world.connector().check())
    assert not result.ok
    assert "unauthorized_client" in result.message
    assert "Domain-wide delegation" in result.message
    assert "classroom.coursework.students" in result.message

    world.server.add_service_account(world.key)
    result = asyncio.run(world.connector(subject="nobody@example.org").check())
    assert not result.ok
    assert "Invalid email or User ID" in result.message
    assert "nobody@example.org" in result.message


def test_check_never_raises_for_an_unreachable_google(world: World) -> None:
    connector = world.connector(base_url="http://127.0.0.1:9", token_url="http://127.0.0.1:9/t",
                                retries=2)
    result = asyncio.run(connector.check())
    assert not result.ok
    assert "127.0.0.1:9" in result.message


def test_settings_that_cannot_work_are_refused_naming_the_field(world: World) -> None:
    with pytest.raises(ConfigError, match=r"service_account.*not JSON") as exc:
        ClassroomConnector.from_mapping(world.config(service_account="-----BEGIN hunter2"))
    assert "hunter2" not in str(exc.value)
    key = {k: v for k, v in world.key.items() if k != "private_key"}
    with pytest.raises(ConfigError, match="lacks private_key"):
        ClassroomConnector.from_mapping(world.config(service_account=json.dumps(key)))
    with pytest.raises(ConfigError, match=r"course_id.*unknown field.*\{section\}"):
        ClassroomConnector.from_mapping(world.config(course_id="d:{section}"))
    with pytest.raises(ConfigError, match=r"user_id.*names no field"):
        ClassroomConnector.from_mapping(world.config(user_id="student@example.org"))
    connector = world.connector()
    assert "BEGIN PRIVATE KEY" not in repr(connector.config)
