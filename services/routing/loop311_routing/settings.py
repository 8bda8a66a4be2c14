"""Every environment variable routing reads, parsed once at start (see loop311_shared.settings).

routing has none of its own: where requests go is the imported directory, not a setting.
(JURISDICTION_ID, which named the one jurisdiction of directory/1, is no longer read.)
"""
from loop311_shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    pass
