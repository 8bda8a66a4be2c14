"""The directory in force, built once per imported version and shared by the workers."""
from nameko.extensions import DependencyProvider

from loop311_shared.reference_data import BuiltPerVersion

from .domain.directory import build_directory
from .domain.rules import Directory
from .schemas import DirectorySchema


class DirectoryCache(BuiltPerVersion):
    """The Directory in force: boundaries, spatial index, rules."""

    def build(self, repository, version: int) -> Directory | None:
        stored = repository.current_import()
        return None if stored is None else build_directory(
            DirectorySchema().load(stored["document"]))


class Directories(DependencyProvider):
    def setup(self):
        self.cache = DirectoryCache()

    def get_dependency(self, worker_ctx) -> DirectoryCache:
        return self.cache
