"""--web.config.file: TLS and basic auth in the exporter-toolkit web-config.yml format.

Supported keys: tls_server_config (cert_file, key_file, client_auth_type, client_ca_file, min_version,
max_version), http_server_config (headers; http2 is accepted and has no effect: this server speaks
HTTP/1.1) and basic_auth_users. Anything else is rejected at startup rather than silently ignored.
Unlike exporter-toolkit, the file is read once at startup.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import bcrypt
import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator, model_validator

from .errors import ConfigError, validation_reason
from .files import read_text

_OPTION = "--web.config.file"
_BCRYPT_HASH = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
#: A cost-10 hash of a random string, checked against for unknown users so that an unknown user takes
#: as long to reject as a wrong password.
_DUMMY_HASH = b"$2b$10$8b5OHKYLzPu2q8OXYIbL..3FlibzWj4mY7j3EyVZpDhC6dAerF4/C"
_TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
TLSVersion = Literal["TLS10", "TLS11", "TLS12", "TLS13"]
#: exporter-toolkit's client_auth_type values that Python's ssl module can honour exactly.
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _TLSServerConfig(_Strict):
    cert_file: Path
    key_file: Path
    client_auth_type: Literal["NoClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"] = (
        "NoClientCert"
    )
    client_ca_file: Path | None = None
    min_version: TLSVersion = "TLS12"
    max_version: TLSVersion = "TLS13"

    @model_validator(mode="after")
    def _consistent(self) -> _TLSServerConfig:
        if self.client_auth_type != "NoClientCert" and self.client_ca_file is None:
            raise ValueError(f"client_auth_type {self.client_auth_type} needs client_ca_file")
        if _TLS_VERSIONS[self.min_version] > _TLS_VERSIONS[self.max_version]:
            raise ValueError("min_version is newer than max_version")
        return self


# exporter-toolkit lets the operator add exactly these response headers, and restricts the values of
# two of them; anything else (Content-Type, Content-Length, a value with a line break) would corrupt
# the server's own response, so it is refused at startup.
_ALLOWED_HEADERS: dict[str, frozenset[str] | None] = {
    "Content-Security-Policy": None,
    "X-Frame-Options": frozenset({"deny", "sameorigin"}),
    "X-Content-Type-Options": frozenset({"nosniff"}),
    "X-XSS-Protection": None,
    "Strict-Transport-Security": None,
}


class _HTTPServerConfig(_Strict):
    headers: dict[str, str] = {}
    http2: bool = True

    @field_validator("headers")
    @classmethod
    def _security_headers_only(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if name not in _ALLOWED_HEADERS:
                raise ValueError(f"header {name!r} is not one of {', '.join(_ALLOWED_HEADERS)}")
            allowed = _ALLOWED_HEADERS[name]
            if allowed is not None and value.lower() not in allowed:
                raise ValueError(f"header {name} accepts {' or '.join(sorted(allowed))}, not {value!r}")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name} has a line break in its value")
        # Blank means unset, as in exporter-toolkit.
        return {name: value for name, value in headers.items() if value}


class _WebConfigFile(_Strict):
    tls_server_config: _TLSServerConfig | None = None
    http_server_config: _HTTPServerConfig = _HTTPServerConfig()
    basic_auth_users: dict[str, SecretStr] = {}

    @field_validator("basic_auth_users")
    @classmethod
    def _bcrypt_hashes(cls, users: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for user, hashed in users.items():
            if not _BCRYPT_HASH.match(hashed.get_secret_value()):
                raise ValueError(f"the password of user {user!r} is not a bcrypt hash")
        return users


class BasicAuth:
    """Checks ``Authorization: Basic`` headers against bcrypt hashes.

    bcrypt is slow on purpose (cost 10 is ~70 ms), too slow to pay on every scrape, so credentials that
    passed once are remembered by (user, sha256(password)), as exporter-toolkit does; failures are
    never cached, so guessing stays expensive.
    """

    def __init__(self, users: Mapping[str, bytes]) -> None:
        self._users = dict(users)
        self._verified: set[tuple[str, bytes]] = set()

    def check(self, header: str | None) -> bool:
        credentials = _parse_basic(header)
        if credentials is None:
            return False
        user, password = credentials
        key = (user, hashlib.sha256(password).digest())
        if key in self._verified:
            return True
        hashed = self._users.get(user)
        try:
            matches = bcrypt.checkpw(password, hashed or _DUMMY_HASH)
        except ValueError:  # bcrypt refuses passwords longer than 72 bytes
            return False
        if matches and hashed is not None:
            self._verified.add(key)
            return True
        return False


def _parse_basic(header: str | None) -> tuple[str, bytes] | None:
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
        return (user.decode("utf-8"), password) if sep else None
    except (binascii.Error, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class WebConfig:
    """What the server needs from the web config file; the defaults mean plain HTTP without auth."""

    tls: ssl.SSLContext | None = None
    auth: BasicAuth | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _invalid(config: Path, detail: str) -> ConfigError:
    return ConfigError(_OPTION, f"{config}: {detail}")


def _readable(config: Path, path: Path, what: str) -> None:
    try:
        path.open("rb").close()
    except OSError as exc:
        raise _invalid(config, f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _tls_context(tls: _TLSServerConfig, config: Path) -> ssl.SSLContext:
    """A server context; paths are relative to the web config file, as in exporter-toolkit."""
    cert, key = config.parent / tls.cert_file, config.parent / tls.key_file
    _readable(config, cert, "cert_file")
    _readable(config, key, "key_file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _TLS_VERSIONS[tls.min_version]
    context.maximum_version = _TLS_VERSIONS[tls.max_version]
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise _invalid(
            config, f"{cert} and {key} are not a PEM certificate and its key ({exc.reason})"
        ) from None
    if tls.client_ca_file is not None:
        ca = config.parent / tls.client_ca_file
        _readable(config, ca, "client_ca_file")
        try:
            context.load_verify_locations(cafile=ca)
        except ssl.SSLError as exc:
            raise _invalid(config, f"{ca} is not a PEM CA certificate ({exc.reason})") from None
        context.verify_mode = _CLIENT_AUTH[tls.client_auth_type]
    return context


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        reason = validation_reason(error)
        parts.append(f"{where}: {reason}" if where else reason)
    return "; ".join(parts)


def load_web_config(path: Path | None) -> WebConfig:
    """Read and check the file completely, so every mistake stops the exporter at startup."""
    if path is None:
        return WebConfig()
    text = read_text(path, _OPTION)
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise _invalid(path, "not valid YAML") from None
    try:
        parsed = _WebConfigFile.model_validate(document)
    except ValidationError as exc:
        raise _invalid(path, _describe(exc)) from None
    users = {user: hashed.get_secret_value().encode() for user, hashed in parsed.basic_auth_users.items()}
    return WebConfig(
        tls=_tls_context(parsed.tls_server_config, path) if parsed.tls_server_config else None,
        auth=BasicAuth(users) if users else None,
        headers=dict(parsed.http_server_config.headers),
    )
