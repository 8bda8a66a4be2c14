"""The one writer of the service catalog (categories and their attribute definitions),
and the reads commands need from it. The catalog is configuration: it changes only by
an admin import, and a category left out of an import is retired, never deleted, so the
requests filed under it keep their name."""
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from loop311_shared.reference_data import ImportedVersions

from ..domain.categorize import describing_text
from ..models import configuration_versions, service_attributes, service_catalog

KIND = "catalog"
# Built once, read on every report: composing it cost more CPU than running it.
ACTIVE_SERVICE = select(service_catalog).where(
    service_catalog.c.service_code == bindparam("service_code"),
    service_catalog.c.active.is_(True))
ATTRIBUTE_DEFINITIONS = (select(service_attributes)
                         .where(service_attributes.c.service_code == bindparam("service_code"))
                         .order_by(service_attributes.c.order))


class CatalogRepository(ImportedVersions):
    versions_table = configuration_versions
    kind = KIND

    def __init__(self, session: Session):
        self.session = session

    def service(self, service_code: str):
        """The active category with this code, or None."""
        return self.session.execute(ACTIVE_SERVICE, {"service_code": service_code}).first()

    def attribute_definitions(self, service_code: str):
        return self.session.execute(ATTRIBUTE_DEFINITIONS, {"service_code": service_code}).all()

    def text_menu(self) -> list[tuple[str, str]]:
        """(code, name) of the categories a texter may pick: those open to anonymous reports."""
        return [(row.service_code, row.service_name) for row in self.session.execute(
            select(service_catalog.c.service_code, service_catalog.c.service_name)
            .where(service_catalog.c.contact_required.is_(False),
                   service_catalog.c.active.is_(True))
            .order_by(service_catalog.c.service_code))]

    def names(self) -> dict[str, str]:
        """Every category's name by code, retired ones included (old requests keep theirs)."""
        return dict(self.session.execute(select(service_catalog.c.service_code,
                                                service_catalog.c.service_name)).all())

    def guessable(self, excluded: str) -> list[tuple[str, str]]:
        """(code, describing text) of every active category but `excluded`."""
        rows = self.session.execute(select(service_catalog).where(
            service_catalog.c.service_code != excluded, service_catalog.c.active.is_(True)))
        return [(row.service_code, describing_text(row.service_name, row.description, row.keywords))
                for row in rows]

    def replace(self, document: dict, author: str) -> dict:
        """Make `document` the catalog in force; return the version record."""
        given = {service["service_code"] for service in document["services"]}
        known = set(self.session.execute(select(service_catalog.c.service_code)).scalars())
        self.session.execute(update(service_catalog)
                             .where(service_catalog.c.service_code.not_in(given))
                             .values(active=False))
        self.session.execute(delete(service_attributes))
        for service in document["services"]:
            values = {"service_name": service["service_name"],
                      "description": service["description"], "group": service["group"],
                      "keywords": service["keywords"],
                      "contact_required": service["contact_required"], "active": True}
            code = service["service_code"]
            if code in known:
                self.session.execute(update(service_catalog)
                                     .where(service_catalog.c.service_code == code).values(**values))
            else:
                self.session.execute(insert(service_catalog).values(service_code=code, **values))
            for attribute in service["attributes"]:
                self.session.execute(insert(service_attributes).values(service_code=code, **attribute))
        return self.record_import(document, author)
