"""A small local fake of Key Vault's secrets API, over HTTPS on 127.0.0.1.

Enough of the protocol for the real `azure.keyvault.secrets.SecretClient`:

- a request without the expected bearer token gets 401 with a `WWW-Authenticate`
  challenge naming an authority and the vault resource (the client then asks its
  credential for a token: in tests a static one, so no login service is asked);
- `GET /secrets/{name}[/{version}]`, `PUT /secrets/{name}`, `DELETE /secrets/{name}`
  and `GET /deletedsecrets/{name}`, each with an `api-version` query parameter;
- soft delete with purge protection: a deleted name stays taken (PUT answers 409).

The certificate is self-signed, made at start with `cryptography`, valid for
127.0.0.1; clients trust it with `connection_verify=server.cert_path`.

    with KeyVaultFake() as vault:
        store = SecretStore(settings, credential=StaticCredential(),
                            client_kwargs=vault.client_kwargs())
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import re
import ssl
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"
BEARER = "fake-vault-access"
# Only parsed by the client, never called: the credential in tests is static.
AUTHORITY = "https://login.example.invalid/00000000-0000-0000-0000-000000000000"
RESOURCE = "https://vault.azure.net"
MAX_BODY_BYTES = 64 * 1024
RETENTION_SECONDS = 90 * 86400
_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
_SECRET_PATH = re.compile(r"^/(secrets|deletedsecrets)/([^/]+)(?:/([^/]*))?$")


class StaticCredential:
    """A credential that hands out a fixed token and asks nobody for it."""

    def __init__(self, token: str = BEARER):
        self._token = token

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 365 * 86400)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "key-vault-fake")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        )
        # It is its own trust anchor, so it is marked as a CA; strict verifiers
        # also want the key usages and identifiers spelled out.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "vault-cert.pem", directory / "vault-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class KeyVaultFake:
    """The fake vault's state and server; its methods arrange and inspect tests."""

    def __init__(self, bearer: str = BEARER):
        self.bearer = bearer
        self.secrets: dict[str, dict] = {}
        self.deleted: dict[str, dict] = {}
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._directory = tempfile.TemporaryDirectory(prefix="vault-fake-")
        self.cert_path, self._key_path = make_certificate(Path(self._directory.name))
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"KeyVaultFake(url={self.url!r})"

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self._httpd.server_address[1]}"

    def client_kwargs(self) -> dict:
        return {
            "connection_verify": str(self.cert_path),
            "verify_challenge_resource": False,
        }

    def start(self) -> KeyVaultFake:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self._key_path)
        self._httpd = _Server((LOOPBACK, 0), _Handler)
        self._httpd.vault = self
        self._httpd.tls = context
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll
            name="key-vault-fake",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None
        self._directory.cleanup()

    def __enter__(self) -> KeyVaultFake:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self.secrets.clear()
            self.deleted.clear()
            self.requests.clear()

    def put(self, name: str, value: str) -> None:
        with self._lock:
            self.secrets[name] = self._bundle(name, value)

    def value(self, name: str) -> str | None:
        with self._lock:
            found = self.secrets.get(name)
        return None if found is None else found["value"]

    def live_names(self) -> list[str]:
        with self._lock:
            return sorted(self.secrets)

    def reads(self, name: str) -> int:
        """How many authorized reads of a secret the vault answered."""
        with self._lock:
            return sum(
                1
                for method, path, status in self.requests
                if method == "GET"
                and path.startswith(f"/secrets/{name}")
                and status in (200, 404)
            )

    def _bundle(self, name: str, value: str) -> dict:
        stamp = int(time.time())
        return {
            "value": value,
            "id": f"{self.url}/secrets/{name}/{uuid.uuid4().hex}",
            "attributes": {
                "enabled": True,
                "created": stamp,
                "updated": stamp,
                "recoveryLevel": "Recoverable",
                "recoverableDays": 90,
            },
        }

    # --- the protocol --------------------------------------------------------------

    def answer(self, method: str, target: str, authorization: str, body: bytes):
        parts = urlsplit(target)
        if authorization != f"Bearer {self.bearer}":
            return 401, None
        if not parse_qs(parts.query).get("api-version"):
            return 400, _error("BadParameter", "api-version is required")
        match = _SECRET_PATH.fullmatch(parts.path)
        if match is None:
            return 404, _error("NotFound", "unknown path")
        collection, name, version = match.groups()
        if not _NAME.fullmatch(name):
            return 400, _error("BadParameter", "invalid secret name")
        with self._lock:
            return self._route(method, collection, name, version, body)

    def _route(self, method, collection, name, version, body):
        if collection == "deletedsecrets":
            if method != "GET":
                return 405, _error("BadRequest", "method not allowed")
            found = self.deleted.get(name)
            return (200, found) if found else (404, _not_found(name))
        if method == "GET":
            return self._get(name, version)
        if method == "PUT" and version is None:
            return self._put(name, body)
        if method == "DELETE" and version is None:
            return self._delete(name)
        return 405, _error("BadRequest", "method not allowed")

    def _get(self, name: str, version: str | None):
        found = self.secrets.get(name)
        if found is None or (version and not found["id"].endswith("/" + version)):
            return 404, _not_found(name)
        return 200, found

    def _put(self, name: str, body: bytes):
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            return 400, _error("BadParameter", "body is not JSON")
        value = document.get("value") if isinstance(document, dict) else None
        if not isinstance(value, str) or len(value.encode()) > 25 * 1024:
            return 400, _error("BadParameter", "value must be text up to 25 KiB")
        if name in self.deleted:
            return 409, _error(
                "Conflict",
                "Secret is currently in a deleted but recoverable state, and its "
                "name cannot be reused",
            )
        self.secrets[name] = self._bundle(name, value)
        return 200, self.secrets[name]

    def _delete(self, name: str):
        found = self.secrets.pop(name, None)
        if found is None:
            return 404, _not_found(name)
        now = int(time.time())
        deleted = {key: found[key] for key in ("id", "attributes")}
        deleted.update(
            recoveryId=f"{self.url}/deletedsecrets/{name}",
            deletedDate=now,
            scheduledPurgeDate=now + RETENTION_SECONDS,
        )
        self.deleted[name] = deleted
        return 200, deleted

    def record(self, method: str, target: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, urlsplit(target).path, status))


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _not_found(name: str) -> dict:
    return _error("SecretNotFound", "A secret with this name was not found")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    vault: KeyVaultFake
    tls: ssl.SSLContext

    def finish_request(self, request, client_address) -> None:
        # The TLS handshake happens in the connection's own thread, so a slow
        # client cannot hold up the accept loop.
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(wrapped, client_address, self)
        finally:
            wrapped.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_PUT = do_DELETE = do_PATCH = do_POST = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY_BYTES:
            self._send(413, _error("BadParameter", "body too large"))
            self.close_connection = True
            return
        body = self.rfile.read(length)
        vault = self.server.vault
        status, document = vault.answer(
            self.command, self.path, self.headers.get("Authorization", ""), body
        )
        vault.record(self.command, self.path, status)
        self._send(status, document)

    def _send(self, status: int, document: dict | None) -> None:
        payload = b"" if document is None else json.dumps(document).encode()
        self.send_response(status)
        if status == 401:
            challenge = f'Bearer authorization="{AUTHORITY}", resource="{RESOURCE}"'
            self.send_header("WWW-Authenticate", challenge)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args) -> None:
        pass  # the request line is not logged: paths name secrets


@contextlib.contextmanager
def serving_the_app(vault: KeyVaultFake, app_settings):
    """Make the product's `secrets.store(app_settings)` use this vault with a
    static credential for the duration."""
    from shared import secrets

    store = secrets.SecretStore(
        app_settings, credential=StaticCredential(), client_kwargs=vault.client_kwargs()
    )
    secrets.install(store)
    try:
        yield store
    finally:
        secrets.uninstall(store)
