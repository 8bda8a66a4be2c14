"""The Open311 service discovery document for this endpoint."""

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def discovery(config: dict, host_url: str) -> dict:
    base = str(config.get("PUBLIC_BASE_URL") or host_url).rstrip("/")
    return {
        "changeset": "2026-11-24T00:00:00Z",
        "contact": config.get("OPEN311_CONTACT", "311 operations"),
        "key_service": config.get("OPEN311_KEY_SERVICE", "Ask 311 operations for an api_key"),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": f"{base}/open311/v2",
            "changeset": "2026-11-24T00:00:00Z",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }
