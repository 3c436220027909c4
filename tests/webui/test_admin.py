"""The admin page: admins only; users added (the password policy's refusal shown), roles
and switches changed in the database; API keys shown once; the audit log with refusals;
the settings with secrets masked; live redraws; untrusted text shown as text."""

from __future__ import annotations

import pytest
from nicegui import ui
from sqlmodel import select

from core.config import load_settings
from core.models import Actor, ApiKey, Origin, Outcome, Role, User
from core.passwords import verify_password
from core.services import apikeys, audit, users
from tests.factories import make_device
from tests.webui.conftest import PASSWORD

JWT_SECRET = "a jwt secret nobody may read, 40+ bytes long"
NEW_PASSWORD = "another long passphrase 42"


@pytest.fixture
def settings(data_dir, monkeypatch):
    monkeypatch.setenv("WARDEN_JWT_SECRET", JWT_SECRET)
    return load_settings(data_dir=data_dir)


def the(user, marker: str):
    (element,) = user.find(marker=marker).elements
    return element


def stored_user(core, name: str) -> User | None:
    with core.db.reader() as session:
        return session.exec(select(User).where(User.name == name)).first()


def choose(user, marker: str, value: str) -> None:
    """Pick an option of a select, as the browser reports it."""
    with user:
        the(user, marker).set_value(value)


async def test_an_operator_sees_admins_only_and_nothing_else(operator):
    await operator.open("/admin")
    await operator.should_see(marker="admins-only")
    await operator.should_see("Admins only.")
    await operator.should_not_see(marker="user-list")
    await operator.should_not_see("vera")
    await operator.should_not_see(marker="settings")


async def test_an_admin_adds_a_user(core, admin):
    await admin.open("/admin")
    admin.find(marker="new-user-name").type("nina")
    admin.find(marker="new-user-password").type(NEW_PASSWORD)
    choose(admin, "new-user-role", "operator")
    admin.find(marker="add-user-button").click()
    await admin.should_see("User nina added", retries=30)
    await admin.should_see(marker="user-nina", retries=30)
    added = stored_user(core, "nina")
    assert added is not None and added.role == Role.OPERATOR
    assert verify_password(NEW_PASSWORD, added.password_hash)


async def test_a_weak_password_is_refused_with_the_policy_message(core, admin):
    await admin.open("/admin")
    admin.find(marker="new-user-name").type("nina")
    admin.find(marker="new-user-password").type("short")
    admin.find(marker="add-user-button").click()
    await admin.should_see("a password needs at least 12 characters", retries=30)
    admin.find(marker="new-user-password").clear().type("password1234")
    admin.find(marker="add-user-button").click()
    await admin.should_see("on the list of common passwords", retries=30)
    assert stored_user(core, "nina") is None
    assert the(admin, "new-user-name").value == "nina"  # the form keeps what was typed


async def test_an_admin_changes_a_role_and_disables_a_user(core, admin):
    await admin.open("/admin")
    await admin.should_see(marker="role-otto")
    choose(admin, "role-otto", "admin")
    await admin.should_see("otto is now admin", retries=30)
    assert stored_user(core, "otto").role == Role.ADMIN
    admin.find(marker="enabled-vera").click()
    await admin.should_see("vera disabled", retries=30)
    assert stored_user(core, "vera").disabled is True


async def test_the_last_admin_cannot_demote_herself(core, admin):
    await admin.open("/admin")
    await admin.should_see(marker="role-ada")
    choose(admin, "role-ada", "viewer")
    await admin.should_see("ada is the last enabled admin", retries=30)
    assert stored_user(core, "ada").role == Role.ADMIN
    await admin.should_see(marker="role-ada")
    assert the(admin, "role-ada").value == "admin"  # redrawn from the database


async def test_an_admin_sets_someone_else_s_password(core, admin):
    await admin.open("/admin")
    admin.find(marker="password-otto").click()
    await admin.should_see(marker="password-dialog")
    admin.find(marker="new-password").type(NEW_PASSWORD)
    admin.find(marker="save-password").click()
    await admin.should_see("Password of otto changed", retries=30)
    assert verify_password(NEW_PASSWORD, stored_user(core, "otto").password_hash)


def add_second_admin(core) -> None:
    with core.db.writer() as session:
        users.add_user(
            session=session,
            name="root",
            password=PASSWORD,
            role=Role.ADMIN,
            actor=Actor.system(),
            now=core.clock.now(),
        )


def demote_ada(core) -> None:
    with core.db.writer() as session:  # root demotes ada from the CLI
        users.set_role(
            session=session,
            name="ada",
            role=Role.VIEWER,
            actor=Actor.system(),
            now=core.clock.now(),
        )


async def test_a_click_on_a_page_left_open_after_a_demotion_is_refused_and_audited(console, core):
    add_second_admin(core)
    stale = await console.signed_in(Role.ADMIN)  # ada
    await stale.open("/admin")
    await stale.should_see(marker="user-list")
    demote_ada(core)  # same instant on the fake clock: her session stays valid, as a viewer
    stale.find(marker="new-user-name").type("nina")
    stale.find(marker="new-user-password").type(NEW_PASSWORD)
    stale.find(marker="add-user-button").click()
    await stale.should_see("Not allowed: ada (viewer) may not users.manage", retries=30)
    assert stored_user(core, "nina") is None
    with core.db.reader() as session:
        denied = audit.list_audit(
            session=session, actor=Actor.system(), outcome=Outcome.DENIED
        ).items
    assert [(e.actor, e.kind, e.origin) for e in denied] == [
        ("ada", "denied.users.manage", Origin.WEB)
    ]
    await stale.should_see(marker="admins-only", retries=30)  # the open page stops following
    await stale.should_not_see(marker="user-list")


async def test_a_page_left_open_after_a_demotion_signs_out_on_the_next_change(console, core):
    add_second_admin(core)
    stale = await console.signed_in(Role.ADMIN)
    await stale.open("/admin")
    await stale.should_see(marker="user-list")
    core.clock.advance(1)
    demote_ada(core)
    await stale.should_see("Sign in", retries=30)
    await stale.should_not_see(marker="user-list")


async def test_an_api_key_is_shown_once(core, admin):
    with core.db.writer() as session:
        make_device(session, id="meter-1")
    await admin.open("/admin")
    admin.find(marker="create-key").click()
    await admin.should_see(marker="new-key-value", retries=30)
    plaintext = the(admin, "new-key-value").text
    assert plaintext.startswith("wd_")
    with core.db.reader() as session:
        (row,) = session.exec(select(ApiKey)).all()
        assert plaintext.startswith(row.prefix) and plaintext != row.prefix
        assert (
            apikeys.verify_key(
                session=session, key=plaintext, scope="telemetry", now=core.clock.now()
            ).id
            == "meter-1"
        )
    admin.find(marker="key-done").click()
    await admin.should_not_see(marker="new-key-value")
    await admin.should_see(f"{row.prefix}…")
    await admin.should_not_see(plaintext)
    await admin.open("/admin")
    await admin.should_see(f"{row.prefix}…")
    await admin.should_not_see(plaintext)
    admin.find(marker="rotate-key").click()
    await admin.should_see(marker="new-key-value", retries=30)
    assert the(admin, "new-key-value").text != plaintext
    with core.db.reader() as session:
        keys = apikeys.list_keys(session=session, device_id="meter-1")
    assert [k.revoked_at is None for k in keys] == [False, True]


async def test_the_audit_log_shows_refusals_filtered_by_outcome(core, admin):
    audit.record_denied(
        db=core.db,
        actor=Actor(name="otto", origin=Origin.WEB, role=Role.OPERATOR, address="10.0.0.7"),
        action="users.manage",
        summary="web: otto (operator) may not users.manage",
    )
    await admin.open("/admin")
    await admin.should_see("web: otto (operator) may not users.manage")
    await admin.should_see("ada logged in")
    choose(admin, "audit-outcome", "denied")
    await admin.should_not_see("ada logged in", retries=30)
    await admin.should_see("web: otto (operator) may not users.manage")
    await admin.should_see("via web from 10.0.0.7")
    await admin.should_see(kind=ui.badge, content="denied")
    with admin:
        the(admin, "audit-actor").set_value("vera")
    await admin.should_not_see("web: otto (operator) may not users.manage", retries=30)


async def test_audit_and_users_follow_changes_made_elsewhere(core, admin):
    await admin.open("/admin")
    await admin.should_see(marker="user-list")
    with core.db.writer() as session:  # the CLI adds a user
        users.add_user(
            session=session,
            name="zed",
            password=PASSWORD,
            role=Role.VIEWER,
            actor=Actor(name="root", origin=Origin.CLI),
            now=core.clock.now(),
        )
    await admin.should_see(marker="user-zed", retries=30)
    await admin.should_see("user zed added as viewer", retries=30)


async def test_settings_mask_the_jwt_secret(admin):
    await admin.open("/admin")
    await admin.should_see("WARDEN_JWT_SECRET")
    assert the(admin, "setting-jwt_secret").text == "********"
    await admin.should_not_see(JWT_SECRET)
    assert the(admin, "setting-gateway_name").text  # the rest is shown


async def test_the_system_tab_shows_version_and_database(admin, settings):
    await admin.open("/admin")
    await admin.should_see("Warden version")
    await admin.should_see(str(settings.data_dir / "warden.db"))
    await admin.should_see("none: Warden keeps no backups of its own yet")


async def test_markup_in_an_audit_summary_is_shown_literally(core, admin):
    audit.record_denied(
        db=core.db,
        actor=Actor(name="otto", origin=Origin.WEB, role=Role.OPERATOR),
        action="users.manage",
        summary="<b>x</b>",
    )
    await admin.open("/admin")
    await admin.should_see(kind=ui.label, content="<b>x</b>")
    await admin.should_not_see(kind=ui.html)
    await admin.should_not_see(kind=ui.markdown)
