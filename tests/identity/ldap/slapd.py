"""A real OpenLDAP ``slapd`` (Debian's), started as a child process on a free loopback port with
its own configuration (``cn=config`` built by ``slapadd -n0``) and an mdb database, for the
tests and the benchmark.

The server dies with the process that started it (``PR_SET_PDEATHSIG``) even when a test run is
killed; ``stop`` ends it otherwise.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ldap3  # type: ignore[import-untyped]

import opengroups.identity.ldap.directory  # noqa: F401  (imports ldap3 without its warnings)

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")
SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
# A service account without limits, and one held to 50 entries per search (paged or not).
READER_DN = f"cn=reader,{SUFFIX}"
LIMITED_DN = f"cn=limited,{SUFFIX}"
READER_PASSWORD = "reader-secret"
SIZE_LIMIT = 50
START_ATTEMPTS = 400  # of 25 ms each: slapd starts in well under a second


def available() -> bool:
    return all(Path(tool).exists() for tool in (SLAPD, SLAPADD))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def certificates(root: Path) -> None:
    """A certificate authority (``ca.pem``) and a server certificate it signed for 127.0.0.1
    (``server.pem``, ``server.key``), made with openssl."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=root, check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=opengroups test CA",
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (root / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )


def _config_ldif(root: Path) -> str:
    schemas = "\n".join(f"include: file:///etc/ldap/schema/{name}.ldif" for name in SCHEMAS)
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {root}/slapd.pid
olcArgsFile: {root}/slapd.args
olcTLSCACertificateFile: {root}/ca.pem
olcTLSCertificateFile: {root}/server.pem
olcTLSCertificateKeyFile: {root}/server.key

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: 500

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {root}/data
olcDbMaxSize: 4294967296
olcSuffix: {SUFFIX}
olcRootDN: {ROOT_DN}
olcRootPW: {ROOT_PASSWORD}
olcLimits: {{0}}dn.exact="{READER_DN}" size=unlimited time=unlimited
olcLimits: {{1}}dn.exact="{LIMITED_DN}" size={SIZE_LIMIT} size.prtotal={SIZE_LIMIT}
olcAccess: {{0}}to attrs=userPassword by self read by anonymous auth by * none
olcAccess: {{1}}to * by * read
olcDbIndex: objectClass eq
olcDbIndex: uid,mail,cn eq
olcDbIndex: member,uniqueMember eq

dn: olcOverlay={{0}}memberof,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {{0}}memberof
olcMemberOfRefInt: TRUE
"""


def base_entries() -> list[tuple[str, dict[str, list[str]]]]:
    """The suffix and the two service accounts."""
    return [
        (SUFFIX, {"objectClass": ["dcObject", "organization"], "dc": ["example"], "o": ["Ex"]}),
        *(
            (
                dn,
                {
                    "objectClass": ["organizationalRole", "simpleSecurityObject"],
                    "cn": [dn.split(",")[0][3:]],
                    "userPassword": [READER_PASSWORD],
                },
            )
            for dn in (READER_DN, LIMITED_DN)
        ),
    ]


def to_ldif(entries: Iterable[tuple[str, dict[str, list[str]]]]) -> str:
    blocks = []
    for dn, attributes in entries:
        lines = [f"dn: {dn}"]
        lines += [f"{name}: {value}" for name, values in attributes.items() for value in values]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Slapd:
    """One slapd: configured in ``root``, loaded offline with ``entries``, then ``start``ed."""

    root: Path
    port: int = 0
    tls_port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca(self) -> Path:
        """The certificate authority that signed the server's certificate."""
        return self.root / "ca.pem"

    def configure(self, entries: Sequence[tuple[str, dict[str, list[str]]]] = ()) -> None:
        """Write the configuration and load the base entries and ``entries`` (offline, fast)."""
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "config").mkdir(parents=True)
        (self.root / "data").mkdir()
        certificates(self.root)
        (self.root / "config.ldif").write_text(_config_ldif(self.root))
        self._slapadd("0", self.root / "config.ldif")
        (self.root / "data.ldif").write_text(to_ldif([*base_entries(), *entries]))
        self._slapadd("1", self.root / "data.ldif")

    def _slapadd(self, database: str, ldif: Path) -> None:
        completed = subprocess.run(
            [SLAPADD, "-q", "-n", database, "-F", str(self.root / "config"), "-l", str(ldif)],
            capture_output=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"slapadd -n{database} failed: {completed.stderr.decode()}")

    def start(self) -> None:
        """Start it on a free port and wait until it accepts a bind."""
        self.port, self.tls_port = free_port(), free_port()
        listeners = f"{self.url}/ {self.ldaps_url}/"
        with (self.root / "slapd.log").open("ab") as log:
            self.process = subprocess.Popen(
                [SLAPD, "-d", "0", "-h", listeners, "-F", str(self.root / "config")],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        for _attempt in range(START_ATTEMPTS):
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {(self.root / 'slapd.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.025)
                continue
            self.admin().unbind()
            return
        self.stop()
        raise RuntimeError("slapd did not accept a bind")

    def stop(self) -> None:
        """End it (and wait for it), whatever state it is in."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """End it at once, as a crash would."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    def admin(self) -> ldap3.Connection:
        """A connection bound as the root DN, for changing the directory."""
        server = ldap3.Server("127.0.0.1", port=self.port, get_info=ldap3.NONE, connect_timeout=5)
        return ldap3.Connection(
            server, ROOT_DN, ROOT_PASSWORD, auto_bind=True, raise_exceptions=True
        )
