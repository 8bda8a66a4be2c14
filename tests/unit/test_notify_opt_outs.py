"""notify keeps each phone's latest STOP or START, whatever order they arrive in."""
from datetime import datetime, timedelta, timezone

import pytest

import loop311_notify
from loop311_notify.handlers import handle_resident_opted_out
from loop311_notify.unit_of_work import NotifyUnitOfWork
from support import received_event

EARLY = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)
PHONE = "+16175550123"


def change(opted_out, at):
    return received_event("resident_opted_out",
                          {"phone": PHONE, "opted_out": opted_out, "changed_at": at}, "opt-out")


@pytest.fixture
def session(migrated_session):
    with migrated_session(loop311_notify) as session:
        yield session


def record_opt_out(session, event):
    handle_resident_opted_out(NotifyUnitOfWork(session, "notify"), event)


def may_text(session, phone):
    return NotifyUnitOfWork(session).opt_outs.may_text(phone)


def test_stop_then_start(session):
    assert may_text(session, PHONE)
    record_opt_out(session, change(True, EARLY))
    assert not may_text(session, PHONE)
    record_opt_out(session, change(False, EARLY + timedelta(minutes=1)))
    assert may_text(session, PHONE)


def test_an_older_stop_arriving_late_does_not_undo_a_newer_start(session):
    record_opt_out(session, change(False, EARLY + timedelta(minutes=1)))
    record_opt_out(session, change(True, EARLY))
    assert may_text(session, PHONE)
