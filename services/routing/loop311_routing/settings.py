"""Every environment variable routing reads, parsed once at start (see loop311_shared.settings)."""
from pydantic import Field

from loop311_shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    jurisdiction_id: str = Field("city", min_length=1, max_length=64,
                                 description="The Open311 jurisdiction whose routes assign "
                                             "this deployment's requests")
