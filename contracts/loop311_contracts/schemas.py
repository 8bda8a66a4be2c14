"""Marshmallow schemas of every event's `data`, one class per type and version.

Only plain JSON values go on the wire: datetimes are ISO 8601 strings in UTC.
"""
from marshmallow import Schema, fields, validate

CHANNELS = ("web", "phone", "email", "sms")


class EventData(Schema):
    class Meta:
        # Newer producers may add fields; older consumers must not choke on them.
        unknown = "exclude"


class RequestCreatedV1(EventData):
    request_id = fields.String(required=True)
    service_code = fields.String(required=True)
    service_name = fields.String(required=True)
    description = fields.String(required=True)
    lat = fields.Float(allow_none=True, load_default=None)
    long = fields.Float(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    contact_ref = fields.String(allow_none=True, load_default=None)
    requested_at = fields.AwareDateTime(required=True)


PRIORITIES = ("low", "normal", "high", "urgent")


class RequestCreatedV2(RequestCreatedV1):
    """v2 adds the priority a dispatcher gave (web, email and text reports are normal)."""

    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))


def request_created_v1_to_v2(data: dict) -> dict:
    return {**data, "priority": "normal"}


class CategorySuggestion(Schema):
    service_code = fields.String(required=True)
    probability = fields.Float(required=True, validate=validate.Range(0, 1))


class RequestCreatedV3(RequestCreatedV2):
    """v3: when the category was guessed from the report's words (email, text, a call-in
    without one, a report to the general category), the guesser's top three with their
    probabilities, best first, so triage can pick with one click; empty when the reporter
    chose the category."""

    category_suggestions = fields.List(fields.Nested(CategorySuggestion), load_default=list)


def request_created_v2_to_v3(data: dict) -> dict:
    return {**data, "category_suggestions": []}


class ResidentContactRecordedV1(EventData):
    """Private to intake and notify: the only event that carries personal data."""

    contact_ref = fields.String(required=True)
    request_id = fields.String(required=True)
    email = fields.Email(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    first_name = fields.String(allow_none=True, load_default=None)
    last_name = fields.String(allow_none=True, load_default=None)


class ResidentContactRecordedV2(ResidentContactRecordedV1):
    """v2 adds the language the resident wrote in or asked for (ISO 639-1), when known."""

    language = fields.String(allow_none=True, load_default=None)


def resident_contact_recorded_v1_to_v2(data: dict) -> dict:
    return {**data, "language": None}


class ResidentContactRecordedV3(ResidentContactRecordedV2):
    """v3: the request's token, the proof a resident shows to rate the request or set how
    they hear about it (notify puts it in the links it sends)."""

    request_token = fields.String(allow_none=True, load_default=None)


def resident_contact_recorded_v2_to_v3(data: dict) -> dict:
    return {**data, "request_token": None}


class RequestAssignedV1(EventData):
    request_id = fields.String(required=True)
    service_code = fields.String(required=True)
    jurisdiction_id = fields.String(required=True)
    department_code = fields.String(required=True)
    department_name = fields.String(required=True)
    assigned_at = fields.AwareDateTime(required=True)


class RequestAssignedV2(RequestAssignedV1):
    """v2 adds who and why: the jurisdiction's name, the person (if the rule names or picks
    one), the rule that matched, and the agency to show the public."""

    jurisdiction_name = fields.String(required=True)
    agency_responsible = fields.String(required=True)
    assignee_id = fields.String(allow_none=True, load_default=None)
    assignee_name = fields.String(allow_none=True, load_default=None)
    rule_id = fields.String(allow_none=True, load_default=None)


def request_assigned_v1_to_v2(data: dict) -> dict:
    return {**data, "jurisdiction_name": data["jurisdiction_id"],
            "agency_responsible": data["department_name"], "assignee_id": None,
            "assignee_name": None, "rule_id": None}


class RequestAssignedV3(RequestAssignedV2):
    """v3 drops `assignee_name`: a person's name is contact detail and public events carry
    none (the privacy check in the tests). `assignee_id` still says who; staff tools look
    the person up in routing's directory."""

    class Meta(EventData.Meta):
        exclude = ("assignee_name",)


def without_assignee_name(data: dict) -> dict:
    """request_assigned v2 -> v3 and request_reassigned v1 -> v2."""
    return {key: value for key, value in data.items() if key != "assignee_name"}


TRIAGE_REASONS = ("no_location", "outside_every_jurisdiction", "not_served", "no_matching_rule",
                  "category_unknown")


class RequestNeedsTriageV1(EventData):
    request_id = fields.String(required=True)
    service_code = fields.String(required=True)
    jurisdiction_id = fields.String(required=True)
    reason = fields.String(required=True)


class RequestNeedsTriageV2(RequestNeedsTriageV1):
    """v2 says why in a word a program can act on (`reason_code`), beside the sentence.
    `jurisdiction_id` is the innermost jurisdiction the point fell in, or "" when none."""

    reason_code = fields.String(required=True, validate=validate.OneOf(TRIAGE_REASONS))


def request_needs_triage_v1_to_v2(data: dict) -> dict:
    # v1 knew one reason only: no department handled the category where it was reported.
    return {**data, "reason_code": "no_matching_rule"}


class RequestReassignedV1(EventData):
    """Staff moved a request: to another person, department or jurisdiction, or corrected
    its category. `previous_*` say where it was; `reason` why (the audit trail's)."""

    request_id = fields.String(required=True)
    service_code = fields.String(required=True)
    previous_service_code = fields.String(required=True)
    jurisdiction_id = fields.String(required=True)
    jurisdiction_name = fields.String(required=True)
    department_code = fields.String(required=True)
    department_name = fields.String(required=True)
    agency_responsible = fields.String(required=True)
    assignee_id = fields.String(allow_none=True, load_default=None)
    assignee_name = fields.String(allow_none=True, load_default=None)
    rule_id = fields.String(allow_none=True, load_default=None)
    previous_jurisdiction_id = fields.String(allow_none=True, load_default=None)
    previous_department_code = fields.String(allow_none=True, load_default=None)
    previous_assignee_id = fields.String(allow_none=True, load_default=None)
    reason = fields.String(required=True)
    reassigned_by = fields.String(required=True)
    reassigned_at = fields.AwareDateTime(required=True)


class RequestReassignedV2(RequestReassignedV1):
    """v2 drops `assignee_name` (see RequestAssignedV3)."""

    class Meta(EventData.Meta):
        exclude = ("assignee_name",)


class JurisdictionOffersV1(EventData):
    id = fields.String(required=True)
    name = fields.String(required=True)
    parent = fields.String(allow_none=True, load_default=None)
    offers = fields.List(fields.String(), required=True)


class DepartmentChainV1(EventData):
    code = fields.String(required=True)
    jurisdiction = fields.String(required=True)
    name = fields.String(required=True)
    supervisor = fields.String(allow_none=True, load_default=None)
    head = fields.String(allow_none=True, load_default=None)


class DirectoryChangedV1(EventData):
    """routing imported a directory: the jurisdictions on the platform and, for each, the
    categories its residents can report there (its own and those its ancestors serve)."""

    version = fields.Integer(required=True, strict=True)
    jurisdictions = fields.List(fields.Nested(JurisdictionOffersV1), required=True)


class JurisdictionOffersV2(JurisdictionOffersV1):
    population = fields.Integer(allow_none=True, load_default=None)


class DirectoryChangedV2(DirectoryChangedV1):
    """v2 adds each jurisdiction's population (the report card's per-1,000 figures) and
    each department's escalation chain: its supervisor, then its head (staff ids)."""

    jurisdictions = fields.List(fields.Nested(JurisdictionOffersV2), required=True)
    departments = fields.List(fields.Nested(DepartmentChainV1), required=True)


def directory_changed_v1_to_v2(data: dict) -> dict:
    return {**data, "departments": []}


class StaffContactV1(EventData):
    id = fields.String(required=True)
    name = fields.String(required=True)
    department = fields.String(required=True)
    email = fields.String(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)


class StaffContactV2(StaffContactV1):
    """v2: how the person wants work news (`email` or `sms`) and reminders (`each`, or an
    `hourly` digest of what is due)."""

    notify_by = fields.String(load_default="email", validate=validate.OneOf(("email", "sms")))
    reminders = fields.String(load_default="each", validate=validate.OneOf(("each", "hourly")))


class StaffDirectoryRecordedV1(EventData):
    """Private to routing and notify: how to reach the staff routing assigns work to."""

    version = fields.Integer(required=True, strict=True)
    staff = fields.List(fields.Nested(StaffContactV1), required=True)


class SlaStartedV1(EventData):
    request_id = fields.String(required=True)
    service_code = fields.String(required=True)
    department_code = fields.String(required=True)
    started_at = fields.AwareDateTime(required=True)
    due_at = fields.AwareDateTime(required=True)


class SlaStartedV2(SlaStartedV1):
    """The request's targets: `due_at` is the resolve due date (what Open311 shows as
    expected_datetime), `ack_due_at` the acknowledge one; the policy and version they came
    from, and why it was (re)started: assigned, reopened, resumed, recategorized."""

    ack_due_at = fields.AwareDateTime(allow_none=True, load_default=None)
    policy_id = fields.String(allow_none=True, load_default=None)
    policy_version = fields.Integer(allow_none=True, load_default=None)
    reason = fields.String(load_default="assigned")
    # When the department's backlog of this category, at its recent closing rate, says it
    # will really be closed (None without a recent closing rate); honest next to the promise.
    expected_close_at = fields.AwareDateTime(allow_none=True, load_default=None)


def sla_started_v1_to_v2(data: dict) -> dict:
    return {**data, "ack_due_at": None, "policy_id": None, "policy_version": None,
            "reason": "assigned", "expected_close_at": None}


SLA_TARGETS = ("acknowledge", "resolve")


class SlaMetV1(EventData):
    request_id = fields.String(required=True)
    target = fields.String(required=True, validate=validate.OneOf(SLA_TARGETS))
    due_at = fields.AwareDateTime(required=True)
    met_at = fields.AwareDateTime(required=True)


class SlaBreachedV1(EventData):
    """A target passed unmet (sent when it passes, not when the late action comes)."""

    request_id = fields.String(required=True)
    target = fields.String(required=True, validate=validate.OneOf(SLA_TARGETS))
    due_at = fields.AwareDateTime(required=True)
    department_code = fields.String(allow_none=True, load_default=None)
    assignee_id = fields.String(allow_none=True, load_default=None)


class SlaReminderDueV1(EventData):
    """Remind the assignee (or, with none, the department) until someone acts."""

    request_id = fields.String(required=True)
    target = fields.String(required=True, validate=validate.OneOf(SLA_TARGETS))
    due_at = fields.AwareDateTime(required=True)
    department_code = fields.String(allow_none=True, load_default=None)
    assignee_id = fields.String(allow_none=True, load_default=None)
    reminder_number = fields.Integer(required=True)


class SlaEscalatedV1(EventData):
    """Past a breach the request climbs the department's chain; `responsible_id` (a staff
    id from routing's directory) is who is now responsible."""

    request_id = fields.String(required=True)
    target = fields.String(required=True, validate=validate.OneOf(SLA_TARGETS))
    level = fields.Integer(required=True)
    responsible_role = fields.String(required=True, validate=validate.OneOf(("supervisor", "head")))
    responsible_id = fields.String(allow_none=True, load_default=None)
    department_code = fields.String(allow_none=True, load_default=None)


STATUSES = ("open", "acknowledged", "in_progress", "closed")
RESOLUTIONS = ("fixed", "duplicate", "not_actionable", "referred")


class RequestStatusChangedV1(EventData):
    request_id = fields.String(required=True)
    service_code = fields.String(required=True)
    previous_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    resolution = fields.String(allow_none=True, load_default=None,
                               validate=validate.OneOf(RESOLUTIONS))
    public_note = fields.String(allow_none=True, load_default=None)
    changed_at = fields.AwareDateTime(required=True)


class RequestCommentedV1(EventData):
    """Internal notes may quote a resident, so their text never leaves intake."""

    request_id = fields.String(required=True)
    comment_id = fields.String(required=True)
    visibility = fields.String(required=True, validate=validate.OneOf(("public", "internal")))
    text = fields.String(allow_none=True, load_default=None)
    commented_at = fields.AwareDateTime(required=True)


class RequestFollowedV1(EventData):
    """Someone reported an open request again; their report joined the first one."""

    request_id = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    follower_contact_ref = fields.String(allow_none=True, load_default=None)
    followed_at = fields.AwareDateTime(required=True)


class ResidentOptedOutV1(EventData):
    """Private: a resident texted STOP (opted_out true) or START (false) from `phone`."""

    phone = fields.String(required=True)
    opted_out = fields.Boolean(required=True)
    changed_at = fields.AwareDateTime(required=True)


class StaffDirectoryRecordedV2(StaffDirectoryRecordedV1):
    """v2: each person's channel and reminder digest choice (StaffContactV2)."""

    staff = fields.List(fields.Nested(StaffContactV2), required=True)


def staff_directory_recorded_v1_to_v2(data: dict) -> dict:
    return {**data, "staff": [{**person, "notify_by": "email", "reminders": "each"}
                              for person in data["staff"]]}


RATING_CHANNELS = ("sms", "email", "web")


class ResidentRatedV1(EventData):
    """A resident answered the satisfaction question after their request was closed: a
    score from 1 (worst) to 5, and/or `not_fixed` (which reopens the request). One rating
    per resident and closing: a later answer with the same `rating_id` replaces it. The
    resident's own words stay in intake (an internal note), never on this event."""

    rating_id = fields.String(required=True)
    request_id = fields.String(required=True)
    service_code = fields.String(required=True)
    score = fields.Integer(allow_none=True, load_default=None,
                           validate=validate.Range(min=1, max=5))
    not_fixed = fields.Boolean(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(RATING_CHANNELS))
    rated_at = fields.AwareDateTime(required=True)
