"""The OpenAPI 3.1 description of intake's HTTP API, served at /openapi.json."""

FMT = {"name": "fmt", "in": "path", "required": True,
       "schema": {"type": "string", "enum": ["json", "xml"]},
       "description": "Response format: the URL ends in .json or .xml"}
JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": False,
                "schema": {"type": "string"}}


def _path_param(name, description):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"},
            "description": description}


def _query(name, description, schema=None):
    return {"name": name, "in": "query", "required": False,
            "schema": schema or {"type": "string"}, "description": description}


def _answer(description, schema):
    return {"description": description, "content": {
        "application/json": {"schema": schema}, "text/xml": {"schema": schema}}}


ERRORS = {"$ref": "#/components/schemas/Errors"}
REQUESTS = {"type": "array", "items": {"$ref": "#/components/schemas/ServiceRequest"}}


def _errors(*codes):
    return {str(code): _answer("Open311 error list", ERRORS) for code in codes}


def _staff(summary, body, ok, ok_code):
    return {"post": {
        "summary": summary, "tags": ["staff"], "security": [{"staff": []}],
        "parameters": [_path_param("request_id", "service_request_id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {ok_code: {"description": ok, "content": {"application/json": {
            "schema": {"type": "object"}}}}, **_errors(400, 401, 404, 409)}}}


SCHEMAS = {
    "Errors": {"type": "array", "items": {"type": "object", "required": ["code", "description"],
               "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}},
    "Service": {"type": "object", "properties": {
        name: {"type": kind} for name, kind in [
            ("service_code", "string"), ("service_name", "string"), ("description", "string"),
            ("metadata", "boolean"), ("type", "string"), ("keywords", "string"),
            ("group", "string")]}},
    "ServiceDefinition": {"type": "object", "properties": {
        "service_code": {"type": "string"},
        "attributes": {"type": "array", "items": {"type": "object", "properties": {
            "variable": {"type": "boolean"}, "code": {"type": "string"},
            "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist",
                                 "multivaluelist"]},
            "required": {"type": "boolean"}, "datatype_description": {"type": ["string", "null"]},
            "order": {"type": "integer"}, "description": {"type": "string"},
            "values": {"type": "array", "items": {"type": "object", "properties": {
                "key": {"type": "string"}, "name": {"type": "string"}}}}}}}}},
    "ServiceRequest": {"type": "object", "properties": {
        **{name: {"type": ["string", "null"]} for name in [
            "service_request_id", "status_notes", "service_name", "service_code", "description",
            "agency_responsible", "service_notice", "address", "address_id", "zipcode",
            "media_url"]},
        "status": {"enum": ["open", "closed"]},
        **{name: {"type": ["string", "null"], "format": "date-time"} for name in [
            "requested_datetime", "updated_datetime", "expected_datetime"]},
        "lat": {"type": ["number", "null"]}, "long": {"type": ["number", "null"]},
        "notes": {"type": "array", "items": {"type": "object"}}}},
    "NewRequest": {"type": "object", "required": ["api_key", "service_code"], "properties": {
        **{name: {"type": "string"} for name in [
            "api_key", "jurisdiction_id", "service_code", "address_string", "address_id",
            "email", "device_id", "account_id", "first_name", "last_name", "phone",
            "description", "media_url"]},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180}},
        "description": "Form fields per Open311 GeoReport v2 (attribute[code]=value for "
                       "service attributes); or the same as a JSON object with an "
                       "`attribute` object."},
}


def openapi_document() -> dict:
    open311 = "/open311/v2"
    return {
        "openapi": "3.1.0",
        "info": {"title": "Loop311 intake", "version": "1",
                 "description": "Open311 GeoReport v2 and the staff API."},
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "staff": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            f"{open311}/discovery.{{fmt}}": {"get": {
                "summary": "Service discovery", "tags": ["open311"], "parameters": [FMT],
                "responses": {"200": _answer("Discovery document", {"type": "object"})}}},
            f"{open311}/services.{{fmt}}": {"get": {
                "summary": "List services", "tags": ["open311"],
                "parameters": [FMT, JURISDICTION],
                "responses": {"200": _answer("Services", {
                    "type": "array", "items": {"$ref": "#/components/schemas/Service"}}),
                    **_errors(404)}}},
            f"{open311}/services/{{service_code}}.{{fmt}}": {"get": {
                "summary": "Service definition (attributes)", "tags": ["open311"],
                "parameters": [_path_param("service_code", "A service_code"), FMT, JURISDICTION],
                "responses": {"200": _answer("Definition", {
                    "$ref": "#/components/schemas/ServiceDefinition"}), **_errors(404)}}},
            f"{open311}/requests.{{fmt}}": {
                "post": {
                    "summary": "Submit a service request", "tags": ["open311"],
                    "parameters": [FMT, {"name": "Idempotency-Key", "in": "header",
                                         "required": False, "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {"$ref": "#/components/schemas/NewRequest"}},
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/NewRequest"}}}},
                    "responses": {"201": _answer("Accepted", {"type": "array", "items": {
                        "type": "object", "properties": {
                            "service_request_id": {"type": "string"},
                            "token": {"type": "string"},
                            "service_notice": {"type": "string"},
                            "account_id": {"type": ["string", "null"]}}}}),
                        **_errors(400, 403, 404, 413, 422)}},
                "get": {
                    "summary": "Query service requests", "tags": ["open311"],
                    "parameters": [FMT, JURISDICTION] + [
                        _query("service_request_id", "Comma-separated ids; other filters "
                               "are ignored when given"),
                        _query("service_code", "Comma-separated service codes"),
                        _query("start_date", "ISO 8601 with zone", {"type": "string",
                                                                    "format": "date-time"}),
                        _query("end_date", "ISO 8601 with zone; at most 90 days after "
                               "start_date", {"type": "string", "format": "date-time"}),
                        _query("status", "Comma-separated: open, closed"),
                        _query("updated_after", "Extension: ISO 8601 with zone"),
                        _query("bbox", "Extension: west,south,east,north"),
                        _query("page", "Extension: from 1", {"type": "integer", "minimum": 1}),
                        _query("page_size", "Extension: 1 to 1000", {
                            "type": "integer", "minimum": 1, "maximum": 1000}),
                        _query("extensions", "Extension: true adds `notes`"),
                    ],
                    "responses": {"200": _answer("Requests, newest first", REQUESTS),
                                  **_errors(400, 404)}}},
            f"{open311}/requests/{{request_id}}.{{fmt}}": {"get": {
                "summary": "One service request", "tags": ["open311"],
                "parameters": [_path_param("request_id", "service_request_id"), FMT, JURISDICTION,
                               _query("extensions", "true adds `notes`")],
                "responses": {"200": _answer("The request", REQUESTS), **_errors(404)}}},
            f"{open311}/tokens/{{token}}.{{fmt}}": {"get": {
                "summary": "Request id for a token", "tags": ["open311"],
                "parameters": [_path_param("token", "Token from the POST answer"), FMT],
                "responses": {"200": _answer("Token and id", {"type": "array"}),
                              **_errors(404)}}},
            "/staff/v1/requests/{request_id}/status": _staff(
                "Change a request's status", {"type": "object", "required": ["status"],
                    "properties": {"status": {"enum": ["open", "acknowledged", "in_progress",
                                                       "closed"]},
                                   "resolution": {"enum": ["fixed", "duplicate",
                                                           "not_actionable", "referred"]},
                                   "note": {"type": "string"}}}, "Changed", "200"),
            "/staff/v1/requests/{request_id}/comments": _staff(
                "Comment on a request", {"type": "object", "required": ["text"], "properties": {
                    "text": {"type": "string"},
                    "visibility": {"enum": ["public", "internal"]}}}, "Added", "201"),
            "/dispatch/v1/call-ins": {"post": {
                "summary": "A dispatcher takes a phone call", "tags": ["dispatch"],
                "security": [{"staff": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["location", "service_code"], "properties": {
                        "caller": {"type": ["object", "null"], "description": "null: anonymous",
                                   "properties": {"name": {"type": "string"},
                                                  "phone": {"type": "string"},
                                                  "email": {"type": "string"},
                                                  "callback": {"enum": ["phone", "email",
                                                                        "none"]}}},
                        "location": {"type": "object", "description": "exactly one of address, "
                                     "intersection ('5th Ave N & 22nd St'), or lat and long",
                                     "properties": {"address": {"type": "string"},
                                                    "intersection": {"type": "string"},
                                                    "lat": {"type": "number"},
                                                    "long": {"type": "number"}}},
                        "service_code": {"type": "string"},
                        "notes": {"type": "string"},
                        "priority": {"enum": ["low", "normal", "high", "urgent"]},
                        "attribute": {"type": "object"}}}}}},
                "responses": {"201": {"description": "The request and open requests nearby",
                                      "content": {"application/json": {"schema": {
                                          "type": "object"}}}},
                              **_errors(400, 401, 422, 503)}}},
            "/sms/v1/twilio": {"post": {
                "summary": "Twilio inbound SMS/MMS webhook (X-Twilio-Signature checked)",
                "tags": ["channels"],
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "TwiML reply", "content": {
                    "text/xml": {"schema": {"type": "string"}}}}, **_errors(400, 403)}}},
            "/email/v1/mime": {"post": {
                "summary": "Inbound email as a raw RFC 5322/MIME message (an MTA pipes it)",
                "tags": ["channels"], "security": [{"staff": []}],
                "requestBody": {"required": True, "content": {
                    "message/rfc822": {"schema": {"type": "string"}}}},
                "responses": {"201": {"description": "New request, or comment on the request "
                                      "a reply refers to"}, **_errors(400, 401)}}},
            "/email/v1/sendgrid": {"post": {
                "summary": "Inbound email in SendGrid Inbound Parse format", "tags": ["channels"],
                "security": [{"staff": []}],
                "requestBody": {"required": True, "content": {
                    "multipart/form-data": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "Filed"}, **_errors(400, 401)}}},
            "/email/v1/mailgun": {"post": {
                "summary": "Inbound email from a Mailgun route (signature checked)",
                "tags": ["channels"],
                "requestBody": {"required": True, "content": {
                    "multipart/form-data": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "Filed"}, **_errors(400, 403)}}},
            "/media/{media_id}": {"get": {
                "summary": "An image that came with a report",
                "parameters": [_path_param("media_id", "Media id")],
                "responses": {"200": {"description": "The image"}, **_errors(404)}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {
                "200": {"description": "OpenAPI 3.1"}}}},
            "/health": {"get": {"summary": "Database and broker reachable", "responses": {
                "200": {"description": "Healthy"}, "503": {"description": "Degraded"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {
                "200": {"description": "Text exposition format"}}}},
        },
    }
