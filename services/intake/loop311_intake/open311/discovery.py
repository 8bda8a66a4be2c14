"""The Open311 service discovery document for this endpoint."""

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def discovery(settings, host_url: str) -> dict:
    base = (settings.public_base_url or host_url).rstrip("/")
    return {
        "changeset": "2026-11-24T00:00:00Z",
        "contact": settings.open311_contact,
        "key_service": settings.open311_key_service,
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": f"{base}/open311/v2",
            "changeset": "2026-11-24T00:00:00Z",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }
