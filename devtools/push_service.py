"""A local push service for `make run` and the tests, speaking the three protocols notify
sends push through, on one port (HTTP/1.1 and cleartext HTTP/2, served by Hypercorn):

- Web Push (RFC 8030): POST /push/<id>; the VAPID JWT (RFC 8292) is verified against the
  key in its Authorization header; the encrypted body is kept as it came (base64).
- FCM HTTP v1: POST /v1/projects/<project>/messages:send with --fcm-token as bearer.
- APNs: POST /3/device/<token> over HTTP/2; the provider token (ES256 JWT) is verified
  with --apns-public-key.

Each message accepted is one JSON file under --dir. An id or token that starts with `gone`
is answered as the real services answer a subscription that no longer exists (410, or
FCM's 404 UNREGISTERED). A Web Push message with the same Topic as one kept for the same
subscription replaces it, as RFC 8030 says.

    python -m devtools.push_service --port 8006 --dir var/push --fcm-token local-fcm-token
"""
import argparse
import asyncio
import base64
import json
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from hypercorn.asyncio import serve
from hypercorn.config import Config

from devtools.sms_provider import keep


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    def __init__(self, folder: Path, fcm_token: str, apns_public_key: str | None):
        self.folder = folder
        self.fcm_token = fcm_token
        self.apns_key = apns_public_key
        self.count = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        parts = scope["path"].strip("/").split("/")
        if scope["method"] != "POST":
            return await self._answer(send, 405, {"reason": "MethodNotAllowed"})
        if parts[0] == "push" and len(parts) == 2:
            return await self._web_push(send, parts[1], headers, body, scope)
        if parts[:2] == ["v1", "projects"] and parts[-1].endswith("messages:send"):
            return await self._fcm(send, parts[2], headers, body)
        if parts[:2] == ["3", "device"] and len(parts) == 3:
            return await self._apns(send, parts[2], headers, body, scope["http_version"])
        return await self._answer(send, 404, {"reason": "NotFound"})

    async def _web_push(self, send, endpoint_id, headers, body, scope):
        scheme, _, fields = headers.get("authorization", "").partition(" ")
        params = dict(part.strip().split("=", 1) for part in fields.split(",") if "=" in part)
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64decode(params["k"]))
            claims = jwt.decode(params["t"], key, algorithms=["ES256"],
                                options={"verify_aud": False})
        except (KeyError, ValueError, jwt.PyJWTError) as error:
            return await self._answer(send, 401, {"reason": f"bad VAPID: {error}"})
        if scheme.lower() != "vapid" or not claims.get("sub"):
            return await self._answer(send, 401, {"reason": "VAPID sub missing"})
        if endpoint_id.startswith("gone"):
            return await self._answer(send, 410, {"reason": "subscription expired"})
        topic = headers.get("topic")
        name = f"webpush-{endpoint_id}-{topic}.json" if topic else None
        self._keep({"platform": "webpush", "endpoint_id": endpoint_id,
                    "content_encoding": headers.get("content-encoding"),
                    "ttl": headers.get("ttl"), "topic": topic, "vapid_sub": claims["sub"],
                    "body": base64.b64encode(body).decode()}, name)
        return await self._answer(send, 201, {}, [(b"location",
                                                   f"/message/{uuid.uuid4()}".encode())])

    async def _fcm(self, send, project, headers, body):
        if headers.get("authorization") != f"Bearer {self.fcm_token}":
            return await self._answer(send, 401, {"error": {"status": "UNAUTHENTICATED"}})
        message = json.loads(body or b"{}").get("message", {})
        if str(message.get("token", "")).startswith("gone"):
            return await self._answer(send, 404, {"error": {
                "code": 404, "status": "NOT_FOUND",
                "details": [{"errorCode": "UNREGISTERED"}]}})
        name = f"projects/{project}/messages/{uuid.uuid4()}"
        self._keep({"platform": "fcm", "project": project, "message": message, "name": name})
        return await self._answer(send, 200, {"name": name})

    async def _apns(self, send, token, headers, body, http_version):
        if http_version != "2":
            return await self._answer(send, 505, {"reason": "APNs speaks HTTP/2 only"})
        bearer = headers.get("authorization", "").removeprefix("bearer ")
        try:
            claims = jwt.decode(bearer, self.apns_key, algorithms=["ES256"])
        except (TypeError, ValueError, jwt.PyJWTError):
            return await self._answer(send, 403, {"reason": "InvalidProviderToken"})
        if token.startswith("gone"):
            return await self._answer(send, 410, {"reason": "Unregistered"})
        apns_id = headers.get("apns-id") or str(uuid.uuid4())
        self._keep({"platform": "apns", "device_token": token, "team": claims.get("iss"),
                    "topic": headers.get("apns-topic"), "apns_id": apns_id,
                    "payload": json.loads(body or b"{}")})
        return await self._answer(send, 200, None, [(b"apns-id", apns_id.encode())])

    def _keep(self, record: dict, name: str | None = None) -> None:
        self.count += 1
        path = self.folder / (name or f"{self.count:06d}-{record['platform']}.json")
        keep(path, record)

    @staticmethod
    async def _answer(send, status: int, body, headers=()):
        payload = b"" if body is None else json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), *headers]})
        await send({"type": "http.response.body", "body": payload})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8006)
    parser.add_argument("--dir", type=Path, default=Path("var/push"))
    parser.add_argument("--fcm-token", default="local-fcm-token")
    parser.add_argument("--apns-public-key", type=Path, help="PEM of the APNs signing key")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    apns_key = args.apns_public_key.read_text() if args.apns_public_key else None
    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    config.accesslog = None
    print(f"push service on http://127.0.0.1:{args.port}, messages in {args.dir}/", flush=True)
    asyncio.run(serve(PushService(args.dir, args.fcm_token, apns_key), config))


if __name__ == "__main__":
    main()
