"""routing's unit of work: one transaction, its repository, and the directory in force."""
from sqlalchemy.orm import Session

from loop311_shared.unit_of_work import UnitOfWork

from .dependencies import DirectoryCache
from .models import inbox, outbox
from .repository import DirectoryRepository


class RoutingUnitOfWork(UnitOfWork):
    outbox = outbox
    inbox = inbox

    def __init__(self, session: Session, consumer: str | None = None,
                 directories: DirectoryCache | None = None):
        super().__init__(session, consumer)
        self.directory = DirectoryRepository(session)
        self.directories = directories or DirectoryCache()

    def directory_in_force(self):
        return self.directories.current(self.directory)
