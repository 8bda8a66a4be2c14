from nameko.extensions import DependencyProvider

from .geocoding import geocoder_from_config


class Geocoder(DependencyProvider):
    """The configured geocoder (offline gazetteer by default, or Nominatim over HTTP),
    built once per container: the gazetteer file is read at start, not per call."""

    def setup(self):
        self.geocoder = geocoder_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.geocoder
