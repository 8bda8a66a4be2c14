"""Collaborators built once per container and handed to handlers by the unit of work."""
from nameko.extensions import DependencyProvider

from loop311_shared.reference_data import BuiltPerVersion
from loop311_shared.settings import settings_of

from .adapters.geocoding import geocoder_from_settings
from .domain.categorize import TRIAGE, CategoryGuesser
from .unit_of_work import IntakeRules, IntakeUnitOfWork


class Categories(BuiltPerVersion):
    """The category guesser for the catalog in force."""

    def __init__(self, threshold: float = 0.2):
        super().__init__()
        self.threshold = threshold

    def build(self, catalog, version: int) -> CategoryGuesser:
        return CategoryGuesser(catalog.guessable(TRIAGE), self.threshold)


class UnitOfWorkFactory(DependencyProvider):
    """Gives each worker `self.unit_of_work()`: a new IntakeUnitOfWork on the worker's
    session with the container's geocoder, category guesser and rules."""

    def __init__(self, database_attr: str = "database"):
        self.database_attr = database_attr

    def setup(self):
        settings = settings_of(self.container)
        self.rules = IntakeRules.from_settings(settings)
        self.geocoder = geocoder_from_settings(settings)
        self.categories = Categories(settings.category_min_confidence)

    def get_dependency(self, worker_ctx):
        service_name = self.container.service_name

        def unit_of_work():
            session = getattr(worker_ctx.service, self.database_attr)
            return IntakeUnitOfWork(session, service_name, self.rules, self.geocoder,
                                    self.categories)
        return unit_of_work
