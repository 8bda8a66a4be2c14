"""ImportCatalog: a new version of the service catalog, all or nothing."""
from ..commands import ImportCatalog
from ..unit_of_work import IntakeUnitOfWork


def import_catalog(uow: IntakeUnitOfWork, command: ImportCatalog) -> dict:
    version = uow.catalog.replace(command.document, command.author)
    attributes = sum(len(service["attributes"]) for service in command.document["services"])
    return {**version, "summary": f"{len(command.document['services'])} services, "
                                  f"{attributes} attributes"}
