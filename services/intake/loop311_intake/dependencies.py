from nameko.extensions import DependencyProvider

from .categorize import CategoryGuesser
from .geocoding import geocoder_from_config


class Geocoder(DependencyProvider):
    """The configured geocoder (offline gazetteer by default, or Nominatim over HTTP),
    built once per container: the gazetteer file is read at start, not per call."""

    def setup(self):
        self.geocoder = geocoder_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.geocoder


class Categories(DependencyProvider):
    """The category guesser, built from the catalog on first use and kept: the catalog
    changes only with a migration, and a migration means a restart."""

    def setup(self):
        self.threshold = float(self.container.config.get("CATEGORY_CONFIDENCE", 0.2))
        self.guesser = None

    def get_dependency(self, worker_ctx):
        return self

    def for_session(self, session):
        if self.guesser is None:
            self.guesser = CategoryGuesser.from_catalog(session, self.threshold)
        return self.guesser
