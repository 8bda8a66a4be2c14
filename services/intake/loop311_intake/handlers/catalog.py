"""ImportCatalog: a new version of the service catalog, all or nothing."""
from loop311_shared.errors import Invalid

from ..commands import ImportCatalog
from ..unit_of_work import IntakeUnitOfWork


def import_catalog(uow: IntakeUnitOfWork, command: ImportCatalog) -> dict:
    served = uow.rules.jurisdiction_id
    if command.document["jurisdiction_id"] != served:
        raise Invalid(f"this catalog is for jurisdiction_id {command.document['jurisdiction_id']!r}; "
                      f"this intake serves {served!r} (JURISDICTION_ID)")
    version = uow.catalog.replace(command.document, command.author)
    attributes = sum(len(service["attributes"]) for service in command.document["services"])
    return {**version, "summary": f"{len(command.document['services'])} services, "
                                  f"{attributes} attributes"}
