"""What the public may read: Open311 views of services and requests, no personal data."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from loop311_shared.clock import iso
from loop311_shared.errors import Invalid, NotFound
from loop311_shared.reference_data import current_import

from .domain.categorize import TRIAGE
from .domain.ids import is_id
from .models import (
    configuration_versions,
    media,
    request_notes,
    service_attributes,
    service_catalog,
    service_requests,
)
from .repository.jurisdictions import JurisdictionRepository

MAX_RANGE = timedelta(days=90)
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000
# Open311 knows open and closed; the staff's finer states show as open.
PUBLIC_STATUS = {"open": "open", "acknowledged": "open", "in_progress": "open", "closed": "closed"}


def jurisdiction_offers(session: Session, given, platform: str) -> frozenset[str] | None:
    """What a client's jurisdiction_id offers: None (everything) for none or the platform's
    own id; the categories routing announced for one of the platform's jurisdictions;
    NotFound for any other."""
    if given in (None, "", platform):
        return None
    offers = JurisdictionRepository(session).offers(given)
    if offers is None:
        raise NotFound(f"jurisdiction_id {given!r} is not served here (this is {platform!r}, "
                       "with the jurisdictions routing announces)")
    return frozenset(offers) | {TRIAGE}


def list_services(session: Session, offered: frozenset[str] | None = None) -> list[dict]:
    has_attributes = exists().where(
        service_attributes.c.service_code == service_catalog.c.service_code)
    rows = session.execute(select(service_catalog, has_attributes.label("has_attributes"))
                           .where(service_catalog.c.active.is_(True),
                                  service_catalog.c.service_code.in_(offered) if offered is not None
                                  else True)
                           .order_by(service_catalog.c.service_code))
    return [{
        "service_code": row.service_code, "service_name": row.service_name,
        "description": row.description, "metadata": bool(row.has_attributes),
        "type": "realtime", "keywords": ", ".join(row.keywords.split()),
        "group": row.group,
    } for row in rows]


def service_definition(session: Session, service_code: str,
                       offered: frozenset[str] | None = None) -> dict:
    offered_here = offered is None or service_code in offered
    if not offered_here or not session.execute(
            select(service_catalog.c.service_code)
            .where(service_catalog.c.service_code == service_code,
                   service_catalog.c.active.is_(True))).first():
        raise NotFound(f"service_code {service_code!r} is not a service we offer")
    definitions = session.execute(select(service_attributes)
                                  .where(service_attributes.c.service_code == service_code)
                                  .order_by(service_attributes.c.order))
    return {"service_code": service_code, "attributes": [
        {"variable": row.variable, "code": row.code, "datatype": row.datatype,
         "required": row.required, "datatype_description": row.datatype_description,
         "order": row.order, "description": row.description,
         **({"values": row.values} if row.values else {})}
        for row in definitions]}


def media_item(session: Session, media_id: str):
    row = session.execute(select(media.c.content_type, media.c.data, media.c.original,
                                 media.c.original_type).where(
        media.c.id == int(media_id) if is_id(media_id) else False)).first()
    if row is None:
        raise NotFound(f"no media with id {media_id!r}")
    return row


def current_catalog(session: Session) -> dict:
    current = current_import(session, configuration_versions, "catalog")
    if current is None:
        raise NotFound("no catalog has been imported yet")
    return current


def public_view(session: Session, request_id: str, with_notes: bool = False) -> dict:
    rows = _select(session, service_requests.c.id == _numeric_id(request_id))
    if not rows:
        raise NotFound(f"no service request with id {request_id!r}")
    return _view(rows[0], _public_notes(session, [rows[0].id]) if with_notes else None)


def request_for_token(session: Session, token: str) -> dict:
    row = session.execute(select(service_requests.c.id)
                          .where(service_requests.c.token == token)).first()
    if row is None:
        raise NotFound(f"no service request with token {token!r}")
    return {"service_request_id": str(row.id), "token": token}


def find_requests(session: Session, params: dict, now: datetime | None = None) -> list[dict]:
    """GET requests: the spec's filters plus page, page_size, updated_after, bbox."""
    now = now or datetime.now(timezone.utc)
    conditions = []
    ids = _list(params, "service_request_id")
    if ids:  # the spec: other parameters are ignored when ids are given
        conditions.append(service_requests.c.id.in_([_numeric_id(i, Invalid) for i in ids]))
    else:
        start, end = _datetime(params, "start_date"), _datetime(params, "end_date")
        if start and not end:
            end = start + MAX_RANGE
        end = end or now
        start = start or end - MAX_RANGE
        if end < start:
            raise Invalid("end_date is before start_date")
        if end - start > MAX_RANGE:
            raise Invalid("start_date and end_date may be at most 90 days apart")
        conditions += [service_requests.c.requested_at >= start,
                       service_requests.c.requested_at <= end]
        codes = _list(params, "service_code")
        if codes:
            conditions.append(service_requests.c.service_code.in_(codes))
        statuses = _list(params, "status")
        if statuses:
            unknown = set(statuses) - set(PUBLIC_STATUS.values())
            if unknown:
                raise Invalid(f"status may be open or closed, not {', '.join(sorted(unknown))}")
            conditions.append(service_requests.c.status.in_(
                [s for s, public in PUBLIC_STATUS.items() if public in statuses]))
        updated_after = _datetime(params, "updated_after")
        if updated_after:
            conditions.append(service_requests.c.updated_at > updated_after)
        if params.get("bbox"):
            conditions.append(_bbox(params["bbox"]))
    with_notes = wants_notes(params)
    page = _integer(params, "page", 1, 1, 1_000_000)
    size = _integer(params, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    rows = _select(session, and_(*conditions), offset=(page - 1) * size, limit=size)
    notes = _public_notes(session, [row.id for row in rows]) if with_notes else None
    return [_view(row, notes) for row in rows]


def _select(session, condition, offset=0, limit=1):
    return session.execute(
        select(service_requests, service_catalog.c.service_name)
        .join(service_catalog, service_catalog.c.service_code == service_requests.c.service_code)
        .where(condition)
        .order_by(service_requests.c.requested_at.desc(), service_requests.c.id.desc())
        .offset(offset).limit(limit)
    ).all()


def _view(row, notes: dict[int, list[dict]] | None) -> dict:
    """`notes`: each request's public notes, by id (None: the view goes without them)."""
    view = {
        "service_request_id": str(row.id),
        "status": PUBLIC_STATUS.get(row.status, "open"),
        "status_notes": row.status_notes,
        "service_name": row.service_name,
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": row.agency_responsible,
        "service_notice": None,
        "requested_datetime": iso(row.requested_at),
        "updated_datetime": iso(row.updated_at),
        "expected_datetime": iso(row.expected_at),
        "address": row.address,
        "address_id": row.address_id,
        "zipcode": None,
        "lat": row.lat,
        "long": row.long,
        "media_url": row.media_url,
    }
    if notes is not None:
        view["notes"] = notes.get(row.id, [])
    return view


def _public_notes(session, request_ids: list[int]) -> dict[int, list[dict]]:
    """The public notes of a whole page in one statement, not one per request."""
    notes: dict[int, list[dict]] = {}
    if not request_ids:
        return notes
    for note in session.execute(select(request_notes)
                                .where(request_notes.c.request_id.in_(request_ids),
                                       request_notes.c.visibility == "public")
                                .order_by(request_notes.c.id)):
        notes.setdefault(note.request_id, []).append(
            {"type": note.type, "summary": note.summary, "datetime": iso(note.datetime)})
    return notes


def wants_notes(params) -> bool:
    """The `extensions=true` flag: the public notes with each request."""
    flag = str(params.get("extensions", "false")).lower()
    if flag not in ("true", "false"):
        raise Invalid("extensions must be true or false")
    return flag == "true"


def _bbox(text):
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise Invalid("bbox is west,south,east,north in decimal degrees") from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise Invalid("bbox is west,south,east,north with west <= east and south <= north")
    return and_(service_requests.c.long.between(west, east),
                service_requests.c.lat.between(south, north))


def _list(params, name):
    return [part.strip() for part in str(params.get(name) or "").split(",") if part.strip()]


def _datetime(params, name):
    text = params.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name} must be an ISO 8601 date and time, like "
                         "2026-11-05T08:15:30-05:00") from None
    if moment.tzinfo is None:
        raise Invalid(f"{name} needs a time zone (Z or an offset from UTC)")
    return moment


def _integer(params, name, default, low, high):
    text = params.get(name)
    if text in (None, ""):
        return default
    if not (str(text).isascii() and str(text).isdigit()) or not low <= int(text) <= high:
        raise Invalid(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _numeric_id(request_id: str, error=NotFound) -> int:
    if not is_id(request_id):
        raise error(f"no service request with id {request_id!r}")
    return int(request_id)

