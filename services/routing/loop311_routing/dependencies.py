"""The directory in force, built once per imported version and shared by the workers."""
from nameko.extensions import DependencyProvider

from .domain.directory import build_directory
from .domain.rules import Directory
from .schemas import DirectorySchema


class DirectoryCache:
    """Rebuilds the Directory (boundaries, spatial index, rules) only when a new version
    has been imported, by this replica or another."""

    def __init__(self):
        self.version = None
        self.directory = None

    def current(self, repository) -> Directory | None:
        version = repository.version()
        if version != self.version:
            stored = repository.current_import()
            self.directory = None if stored is None else build_directory(
                DirectorySchema().load(stored["document"]))
            self.version = version
        return self.directory


class Directories(DependencyProvider):
    def setup(self):
        self.cache = DirectoryCache()

    def get_dependency(self, worker_ctx) -> DirectoryCache:
        return self.cache
