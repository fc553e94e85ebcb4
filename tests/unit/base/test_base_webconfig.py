"""--web.config.file: TLS, client certificates and bcrypt basic auth, and validation of the file."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import httpx
import pytest
from base_helpers import sample
from conftest import StartExporter
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fake_base_exporter import SPEC, ScriptedSource

from exporters.base import ExporterServer, run
from exporters.base import webconfig as webconfig_module
from exporters.base.webconfig import BasicAuth

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class KeyPair:
    cert: Path
    key: Path


def self_signed(directory: Path, name: str) -> KeyPair:
    """A self-signed certificate for 127.0.0.1/localhost that can also act as its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pair = KeyPair(directory / f"{name}.crt", directory / f"{name}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return pair


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyPair]:
    directory = tmp_path_factory.mktemp("certs")
    return {name: self_signed(directory, name) for name in ("server", "client")}


@pytest.fixture(scope="module")
def password_hash() -> str:
    return bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


def trusting(pair: KeyPair, client: KeyPair | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=pair.cert)
    if client:
        context.load_cert_chain(client.cert, client.key)
    return context


def web_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "web-config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def server_tls(certs: dict[str, KeyPair], *settings: str) -> str:
    """A tls_server_config block serving the test server certificate, plus more of its settings."""
    lines = [f"cert_file: {certs['server'].cert}", f"key_file: {certs['server'].key}", *settings]
    return "tls_server_config:\n" + "".join(f"  {line}\n" for line in lines)


def basic_auth_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def secured(
    tmp_path: Path, certs: dict[str, KeyPair], password_hash: str, start_exporter: StartExporter
) -> ExporterServer:
    path = web_config(
        tmp_path,
        server_tls(certs)
        + f"""
http_server_config:
  headers:
    X-Content-Type-Options: nosniff
basic_auth_users:
  alice: "{password_hash}"
""",
    )
    return start_exporter([ScriptedSource("local")], web_config_file=path)


def test_right_password_over_tls_gets_metrics(secured: ExporterServer, certs: dict[str, KeyPair]) -> None:
    assert secured.url.startswith("https://127.0.0.1:")
    with httpx.Client(verify=trusting(certs["server"]), auth=("alice", PASSWORD)) as client:
        response = client.get(f"{secured.url}/metrics")
        assert response.status_code == 200
        assert sample(response.text, "llmon_fake_local_value") == 1
        assert response.headers["x-content-type-options"] == "nosniff"
        assert client.get(f"{secured.url}/").status_code == 200


@pytest.mark.parametrize(
    "auth",
    [("alice", "wrong password"), ("mallory", PASSWORD), None],
    ids=["wrong-password", "unknown-user", "none"],
)
@pytest.mark.parametrize("path", ["/metrics", "/", "/healthz", "/nope"])
def test_without_valid_credentials_only_401_with_an_empty_body(
    secured: ExporterServer, certs: dict[str, KeyPair], auth: tuple[str, str] | None, path: str
) -> None:
    with httpx.Client(verify=trusting(certs["server"]), auth=auth) as client:
        response = client.get(f"{secured.url}{path}")
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["www-authenticate"] == 'Basic realm="llmon-fake-exporter", charset="UTF-8"'


def test_plain_http_to_the_tls_port_fails(secured: ExporterServer) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(secured.url.replace("https://", "http://") + "/metrics", auth=("alice", PASSWORD))


def test_client_certificates_are_required_when_configured(
    tmp_path: Path, certs: dict[str, KeyPair], start_exporter: StartExporter
) -> None:
    path = web_config(
        tmp_path,
        server_tls(
            certs,
            "client_auth_type: RequireAndVerifyClientCert",
            f"client_ca_file: {certs['client'].cert}",
            "min_version: TLS13",
        ),
    )
    server = start_exporter([], web_config_file=path)
    with httpx.Client(verify=trusting(certs["server"], certs["client"])) as client:
        assert client.get(f"{server.url}/healthz").status_code == 200
    with pytest.raises(httpx.TransportError), httpx.Client(verify=trusting(certs["server"])) as client:
        client.get(f"{server.url}/healthz")


def test_relative_paths_are_relative_to_the_web_config_file(
    tmp_path: Path, certs: dict[str, KeyPair], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tls").mkdir()
    for suffix in ("crt", "key"):
        (tmp_path / "tls" / f"server.{suffix}").write_bytes(
            certs["server"].cert.with_suffix(f".{suffix}").read_bytes()
        )
    path = web_config(tmp_path, "tls_server_config: {cert_file: tls/server.crt, key_file: tls/server.key}\n")
    assert run(SPEC, [f"--web.config.file={path}", "--check-config"]) == 0
    assert "config ok" in capsys.readouterr().out


def test_successful_credentials_are_checked_with_bcrypt_once(
    password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bytes] = []
    checkpw = bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        calls.append(password)
        return checkpw(password, hashed)

    monkeypatch.setattr(webconfig_module.bcrypt, "checkpw", counting_checkpw)
    auth = BasicAuth({"alice": password_hash.encode()})
    header = basic_auth_header("alice", PASSWORD)
    wrong = basic_auth_header("alice", "guess")
    assert [auth.check(header) for _ in range(3)] == [True, True, True]
    assert [auth.check(wrong) for _ in range(2)] == [False, False]
    assert calls == [PASSWORD.encode(), b"guess", b"guess"]


@pytest.mark.parametrize(
    "header", [None, "", "Bearer abc", "Basic !!!notbase64", "Basic YWxpY2U=", "Basic " + "YQ==" * 100]
)
def test_malformed_authorization_headers_are_refused(password_hash: str, header: str | None) -> None:
    assert BasicAuth({"alice": password_hash.encode()}).check(header) is False


def test_passwords_longer_than_bcrypt_accepts_are_refused(password_hash: str) -> None:
    assert BasicAuth({"alice": password_hash.encode()}).check(basic_auth_header("alice", "x" * 100)) is False


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("rate_limit: {interval: 1s, burst: 20}\n", "rate_limit: unknown key"),
        ("tls_server_config: {cert_file: a.crt}\n", "tls_server_config.key_file: Field required"),
        ("basic_auth_users: {bob: plaintext-password}\n", "the password of user 'bob' is not a bcrypt hash"),
        ("tls_server_config: {cert_file: absent.crt, key_file: absent.key}\n", "cannot read cert_file"),
        ("tls_server_config: [\n", "not valid YAML"),
        (
            "tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAndVerifyClientCert}\n",
            "client_auth_type RequireAndVerifyClientCert needs client_ca_file",
        ),
        (
            "tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, max_version: TLS12}\n",
            "min_version is newer than max_version",
        ),
        (
            "http_server_config: {headers: {Content-Type: text/html}}\n",
            "header 'Content-Type' is not one of Content-Security-Policy",
        ),
        (
            "http_server_config: {headers: {X-Frame-Options: allow-from}}\n",
            "header X-Frame-Options accepts deny or sameorigin, not 'allow-from'",
        ),
        (
            'http_server_config: {headers: {X-XSS-Protection: "1\\r\\nSet-Cookie: a=b"}}\n',
            "header X-XSS-Protection has a line break in its value",
        ),
    ],
)
def test_invalid_web_config_is_one_line_and_exit_2(
    tmp_path: Path, text: str, error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = web_config(tmp_path, text)
    assert run(SPEC, [f"--web.config.file={path}", "--check-config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"llmon-fake-exporter: error: --web.config.file: {path}")
    assert error in err
    assert err.count("\n") == 1
    assert "plaintext-password" not in err


def test_certificate_that_is_not_pem_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.crt").write_text("not a certificate")
    (tmp_path / "bad.key").write_text("not a key")
    path = web_config(tmp_path, "tls_server_config: {cert_file: bad.crt, key_file: bad.key}\n")
    assert run(SPEC, [f"--web.config.file={path}"]) == 2
    err = capsys.readouterr().err
    assert "are not a PEM certificate and its key" in err
    assert err.count("\n") == 1


def test_missing_web_config_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(SPEC, [f"--web.config.file={tmp_path / 'absent.yml'}"]) == 2
    assert capsys.readouterr().err == (
        f"llmon-fake-exporter: error: --web.config.file: cannot read {tmp_path / 'absent.yml'}: "
        "No such file or directory\n"
    )
