"""sla's handlers: one per command and per consumed event. They never commit (the unit of
work does, once) and know nothing of HTTP.

A clock has two targets, acknowledge and resolve. It opens with request_created, starts on
request_assigned (targets from the most specific policy, on the jurisdiction's business
calendar), and moves only with events: acknowledgement, closing, reopening, reassignment,
a corrected category, a pause. Timers in the database send reminders until someone acts,
breaches when a target passes, and escalations up the department's chain.
"""
from datetime import datetime

from loop311_contracts.envelope import Event
from loop311_shared.clock import as_utc, utcnow
from loop311_shared.errors import Conflict, Invalid, NotFound

from .commands import FireTimers, ImportPolicies, PauseClock, SuspendJurisdiction
from .domain.business_time import shift_for_pause
from .domain.policies import RECENT, PolicyProblems, build_policies, expected_close
from .schemas import PoliciesSchema
from .unit_of_work import SlaUnitOfWork

ACK_REMINDER, RESOLVE_REMINDER = "ack_reminder", "resolve_reminder"
ACK_BREACH, RESOLVE_BREACH = "ack_breach", "resolve_breach"
ACK_ESCALATION, RESOLVE_ESCALATION = "ack_escalation", "resolve_escalation"
REMINDERS = (ACK_REMINDER, RESOLVE_REMINDER)
ACKNOWLEDGED = ("acknowledged", "in_progress")
CHAIN = ("supervisor", "head")


def import_policies(uow: SlaUnitOfWork, command: ImportPolicies) -> dict:
    """Make the command's calendars and policies the ones in force. Running clocks keep
    the targets and the policy version they started with."""
    try:
        build_policies(command.document)
    except PolicyProblems as problems:
        raise Invalid(str(problems)) from None
    version = uow.sla.record_import(PoliciesSchema().dump(command.document), command.author)
    return {**version, "summary": f"{len(command.document['calendars'])} calendars, "
                                  f"{len(command.document['policies'])} policies"}


def handle_request_created(uow: SlaUnitOfWork, event: Event) -> None:
    data = event.data
    uow.sla.open_clock(data["request_id"], service_code=data["service_code"],
                       priority=data["priority"], channel=data["channel"], lat=data["lat"],
                       long=data["long"], opened_at=data["requested_at"], status="open")


def handle_request_assigned(uow: SlaUnitOfWork, event: Event) -> None:
    data = event.data
    clock = _clock(uow, data["request_id"])
    uow.sla.update_clock(clock.request_id, jurisdiction_id=data["jurisdiction_id"],
                         department_code=data["department_code"], assignee_id=data["assignee_id"])
    if clock.started_at is None:
        _start(uow, clock.request_id, data["service_code"], clock.priority,
               data["jurisdiction_id"], data["assigned_at"], "assigned",
               department=data["department_code"], assignee=data["assignee_id"])


def handle_request_status_changed(uow: SlaUnitOfWork, event: Event) -> None:
    data, at = event.data, event.data["changed_at"]
    clock = _clock(uow, data["request_id"])
    uow.sla.update_clock(clock.request_id, status=data["status"], last_action_at=at)
    policies = uow.policies_in_force()
    calendar = policies.calendar_for(clock.jurisdiction_id) if policies else None
    if data["status"] in ACKNOWLEDGED and clock.acknowledged_at is None:
        _finish(uow, clock, "acknowledge", at, calendar)
        uow.sla.cancel_timers(clock.request_id, ACK_REMINDER, ACK_BREACH, ACK_ESCALATION)
    if data["status"] == "closed":
        if clock.acknowledged_at is None:
            _finish(uow, clock, "acknowledge", at, calendar)
        _finish(uow, clock, "resolve", at, calendar)
        uow.sla.cancel_timers(clock.request_id)
    if data["previous_status"] == "closed" and data["status"] != "closed":
        uow.sla.update_clock(clock.request_id, closed_at=None, close_calendar_seconds=None,
                             close_business_seconds=None, reopened_count=clock.reopened_count + 1,
                             paused_at=None)
        _start(uow, clock.request_id, clock.service_code, clock.priority, clock.jurisdiction_id,
               at, "reopened", department=clock.department_code, assignee=clock.assignee_id,
               acknowledge=False)


def handle_request_reassigned(uow: SlaUnitOfWork, event: Event) -> None:
    """A move keeps the clock and notes it; a corrected category re-evaluates the policy.
    Either way someone acted: reminders start over, for whoever has it now."""
    data, at = event.data, event.data["reassigned_at"]
    clock = _clock(uow, data["request_id"])
    uow.sla.update_clock(clock.request_id, jurisdiction_id=data["jurisdiction_id"],
                         department_code=data["department_code"], assignee_id=data["assignee_id"],
                         last_action_at=at)
    uow.sla.add_note(clock.request_id, f"moved from {data['previous_department_code']} to "
                                       f"{data['department_code']}: {data['reason']}", at)
    if data["service_code"] != data["previous_service_code"] and clock.started_at is not None:
        uow.sla.update_clock(clock.request_id, service_code=data["service_code"])
        uow.sla.add_note(clock.request_id, f"category corrected to {data['service_code']}: "
                                           "policy re-evaluated", at)
        _start(uow, clock.request_id, data["service_code"], clock.priority, data["jurisdiction_id"],
               as_utc(clock.started_at), "recategorized", department=data["department_code"],
               assignee=data["assignee_id"], acknowledge=clock.acknowledged_at is None)
    else:
        _restart_reminders(uow, clock.request_id, at)


def handle_request_commented(uow: SlaUnitOfWork, event: Event) -> None:
    """A public comment is an action: reminders start over from now."""
    if event.data["visibility"] != "public":
        return
    clock = _clock(uow, event.data["request_id"])
    uow.sla.update_clock(clock.request_id, last_action_at=event.data["commented_at"])
    _restart_reminders(uow, clock.request_id, event.data["commented_at"])


def handle_resident_rated(uow: SlaUnitOfWork, event: Event) -> None:
    """A resident's satisfaction answer, for the report card (the latest per resident and
    closing counts)."""
    data = event.data
    uow.sla.record_rating(data["rating_id"], data["request_id"], data["score"], data["not_fixed"],
                          data["rated_at"])


def handle_directory_changed(uow: SlaUnitOfWork, event: Event) -> None:
    if event.data["version"] > uow.sla.directory_version():
        uow.sla.replace_directory_copy(event.data["version"], event.data["departments"],
                                       event.data["jurisdictions"])


def pause_clock(uow: SlaUnitOfWork, command: PauseClock) -> dict:
    clock = uow.sla.clock(command.request_id)
    if clock is None or clock.started_at is None:
        raise NotFound(f"request {command.request_id!r} has no running clock")
    if clock.closed_at is not None:
        raise Conflict("a closed request cannot be paused or resumed")
    if command.resume and clock.paused_at is None:
        raise Conflict("the clock is not paused")
    if not command.resume and clock.paused_at is not None:
        raise Conflict("the clock is paused already")
    now = utcnow()
    change = _resume if command.resume else _pause
    return {"request_id": clock.request_id,
            **change(uow, clock, now, f"by {command.author}: {command.reason}")}


def suspend_jurisdiction(uow: SlaUnitOfWork, command: SuspendJurisdiction) -> dict:
    """A storm: pause (or resume) every open clock in the jurisdiction at once."""
    now, changed = utcnow(), 0
    for clock in uow.sla.open_clocks_in(command.jurisdiction, paused=command.lift):
        (_resume if command.lift else _pause)(
            uow, clock, now, f"jurisdiction {'resumed' if command.lift else 'suspended'} by "
                             f"{command.author}: {command.reason}")
        changed += 1
    return {"jurisdiction": command.jurisdiction, "clocks": changed,
            "state": "running" if command.lift else "paused"}


def _pause(uow, clock, now, why: str) -> dict:
    uow.sla.update_clock(clock.request_id, paused_at=now, resolve_state="paused")
    uow.sla.cancel_timers(clock.request_id, RESOLVE_BREACH, RESOLVE_REMINDER, RESOLVE_ESCALATION)
    uow.sla.add_note(clock.request_id, f"paused {why}", now)
    return {"paused_at": now.isoformat()}


def _resume(uow, clock, now, why: str) -> dict:
    policies = uow.policies_in_force()
    policy = policies.policy_for(clock.service_code, clock.priority, clock.jurisdiction_id)
    calendar = policies.calendar_for(clock.jurisdiction_id)
    due = shift_for_pause(calendar, as_utc(clock.resolve_due_at), as_utc(clock.paused_at), now,
                          business=policy.resolve.unit.startswith("business"))
    uow.sla.update_clock(clock.request_id, paused_at=None, resolve_due_at=due,
                         resolve_state="running")
    uow.sla.set_timer(clock.request_id, RESOLVE_BREACH, due)
    uow.sla.add_note(clock.request_id, f"resumed {why}", now)
    _announce_start(uow, clock.request_id, clock.service_code, clock.department_code,
                    as_utc(clock.started_at), as_utc(clock.ack_due_at) if clock.ack_due_at else None,
                    due, clock.policy_id, clock.policy_version, "resumed")
    return {"resolve_due_at": due.isoformat()}


def fire_timers(uow: SlaUnitOfWork, command: FireTimers) -> int:
    """Fire every due timer this replica could claim; each is deleted in this transaction."""
    fired = 0
    for timer in uow.sla.claim_due_timers(command.now, command.limit):
        uow.sla.delete_timer(timer.id)
        clock = uow.sla.clock(timer.request_id)
        if clock is not None:
            FIRE[timer.kind](uow, clock, as_utc(timer.due_at), command.now)
        fired += 1
    return fired


# Timers

def _remind(target: str):
    def fire(uow, clock, due_at, now):
        if _acted(clock, target) or clock.paused_at is not None:
            return
        policy = _policy_of(uow, clock)
        number = len([n for n in (clock.notes or []) if n["note"].startswith(f"reminder {target}")]) + 1
        uow.publish("sla_reminder_due", clock.request_id, {
            "request_id": clock.request_id, "target": target, "due_at": _due(clock, target),
            "department_code": clock.department_code, "assignee_id": clock.assignee_id,
            "reminder_number": number})
        uow.sla.add_note(clock.request_id, f"reminder {target} #{number}", now)
        if policy and policy.remind_every:
            uow.sla.set_timer(clock.request_id, f"{_prefix(target)}_reminder", now + policy.remind_every)
    return fire


def _breach(target: str):
    def fire(uow, clock, due_at, now):
        if _acted(clock, target) or (target == "resolve" and clock.paused_at is not None):
            return
        uow.sla.update_clock(clock.request_id, **{f"{_prefix(target)}_state": "breached"})
        uow.publish("sla_breached", clock.request_id, {
            "request_id": clock.request_id, "target": target, "due_at": _due(clock, target),
            "department_code": clock.department_code, "assignee_id": clock.assignee_id})
        uow.sla.set_timer(clock.request_id, f"{_prefix(target)}_escalation", now)
        policy = _policy_of(uow, clock)
        if target == "resolve" and policy and policy.remind_every:
            uow.sla.set_timer(clock.request_id, RESOLVE_REMINDER, now + policy.remind_every)
    return fire


def _escalate(target: str):
    def fire(uow, clock, due_at, now):
        if _acted(clock, target) or clock.escalation_level >= len(CHAIN):
            return
        level = clock.escalation_level + 1
        chain = uow.sla.chain_of(clock.department_code)
        role = CHAIN[level - 1]
        uow.sla.update_clock(clock.request_id, escalation_level=level)
        uow.publish("sla_escalated", clock.request_id, {
            "request_id": clock.request_id, "target": target, "level": level,
            "responsible_role": role, "responsible_id": getattr(chain, role, None) if chain else None,
            "department_code": clock.department_code})
        policy = _policy_of(uow, clock)
        if level < len(CHAIN) and policy and policy.escalate_every:
            uow.sla.set_timer(clock.request_id, f"{_prefix(target)}_escalation",
                              now + policy.escalate_every)
    return fire


FIRE = {ACK_REMINDER: _remind("acknowledge"), RESOLVE_REMINDER: _remind("resolve"),
        ACK_BREACH: _breach("acknowledge"), RESOLVE_BREACH: _breach("resolve"),
        ACK_ESCALATION: _escalate("acknowledge"), RESOLVE_ESCALATION: _escalate("resolve")}


# Starting and finishing targets

def _start(uow, request_id, service_code, priority, jurisdiction_id, at: datetime, reason: str, *,
           department, assignee, acknowledge: bool = True) -> None:
    policies = uow.policies_in_force()
    if policies is None:
        raise Conflict("no SLA policies are imported yet")  # retried, then dead-lettered
    policy = policies.policy_for(service_code, priority, jurisdiction_id)
    calendar = policies.calendar_for(jurisdiction_id)
    clock = uow.sla.clock(request_id)
    ack_due = policy.acknowledge.due(calendar, at) if acknowledge else \
        (as_utc(clock.ack_due_at) if clock.ack_due_at else None)
    resolve_due = policy.resolve.due(calendar, at)
    values = {"policy_id": policy.id, "policy_version": policies.version,
              "resolve_due_at": resolve_due, "resolve_state": "running"}
    if reason in ("assigned", "recategorized"):
        values["started_at"] = clock.started_at or at
    timers = {RESOLVE_BREACH: resolve_due}
    if acknowledge:
        values.update(ack_due_at=ack_due, ack_state="running")
        timers[ACK_BREACH] = ack_due
        if policy.remind_every:
            timers[ACK_REMINDER] = at + policy.remind_every
    uow.sla.update_clock(request_id, **values)
    uow.sla.set_timers(request_id, timers)
    _announce_start(uow, request_id, service_code, department, at if reason != "recategorized"
                    else as_utc(clock.started_at), ack_due, resolve_due, policy.id,
                    policies.version, reason)


def _announce_start(uow, request_id, service_code, department, started_at, ack_due, due,
                    policy_id, version, reason) -> None:
    now = utcnow()
    backlog, closed = uow.sla.backlog_and_recent_closes(department, service_code, now - RECENT)
    uow.publish("sla_started", request_id, {
        "request_id": request_id, "service_code": service_code,
        "department_code": department or "", "started_at": started_at, "due_at": due,
        "ack_due_at": ack_due, "policy_id": policy_id, "policy_version": version,
        "reason": reason, "expected_close_at": expected_close(now, backlog, closed)})


def _finish(uow, clock, target: str, at: datetime, calendar) -> None:
    prefix = _prefix(target)
    due = getattr(clock, f"{prefix}_due_at")
    opened = as_utc(clock.opened_at)
    business = calendar.between(opened, at).total_seconds() if calendar else None
    done = {"acknowledge": "acknowledged_at", "resolve": "closed_at"}[target]
    duration = {"acknowledge": "ack", "resolve": "close"}[target]
    values = {done: at, f"{duration}_calendar_seconds": (at - opened).total_seconds(),
              f"{duration}_business_seconds": business}
    if due is not None:
        met = at <= as_utc(due)
        if getattr(clock, f"{prefix}_state") != "breached":
            values[f"{prefix}_state"] = "met" if met else "breached"
            if met:
                uow.publish("sla_met", clock.request_id, {
                    "request_id": clock.request_id, "target": target, "due_at": as_utc(due),
                    "met_at": at})
            else:
                uow.publish("sla_breached", clock.request_id, {
                    "request_id": clock.request_id, "target": target, "due_at": as_utc(due),
                    "department_code": clock.department_code, "assignee_id": clock.assignee_id})
    uow.sla.update_clock(clock.request_id, **values)


def _restart_reminders(uow, request_id: str, at: datetime) -> None:
    clock = uow.sla.clock(request_id)
    policy = _policy_of(uow, clock)
    uow.sla.cancel_timers(request_id, *REMINDERS)
    if policy is None or policy.remind_every is None or clock.closed_at is not None:
        return
    if clock.acknowledged_at is None:
        uow.sla.set_timer(request_id, ACK_REMINDER, at + policy.remind_every)
    elif clock.resolve_state == "breached":
        uow.sla.set_timer(request_id, RESOLVE_REMINDER, at + policy.remind_every)


def _policy_of(uow, clock):
    policies = uow.policies_in_force()
    if policies is None:
        return None
    return policies.policy_for(clock.service_code, clock.priority, clock.jurisdiction_id)


def _clock(uow, request_id: str):
    clock = uow.sla.clock(request_id)
    if clock is None:
        # Out of order: request_created has not arrived yet. Raising retries the event with
        # backoff, then dead-letters it: never dropped silently.
        raise NotFound(f"no clock for request {request_id!r} yet")
    return clock


def _acted(clock, target: str) -> bool:
    return clock.closed_at is not None or (target == "acknowledge" and clock.acknowledged_at is not None)


def _due(clock, target: str) -> datetime:
    return as_utc(getattr(clock, f"{_prefix(target)}_due_at"))


def _prefix(target: str) -> str:
    return {"acknowledge": "ack", "resolve": "resolve"}[target]

