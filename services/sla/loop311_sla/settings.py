"""Every environment variable sla reads, parsed once at start (see loop311_shared.settings)."""
from pydantic import Field

from loop311_shared.settings import ServiceSettings


class SlaSettings(ServiceSettings):
    default_resolve_hours: int = Field(120, ge=1, le=87_600,
                                       description="Resolve-within target, in calendar hours, of "
                                                   "a category no imported policy names")
