"""Fixtures of the e-mail intake tests: the corpus, the world's people with e-mail addresses, a mailbox, and a
real Dovecot IMAP server on loopback (TLS with a certificate made for the test run)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsdesk.incidents.models import Incident
from opsdesk.mailin.choices import Security, UnknownSenderPolicy
from opsdesk.mailin.models import Mailbox

from ..servers import free_port

CORPUS = Path(__file__).resolve().parent / "corpus"
PLACEHOLDER = b"INC-20261122-0001"


def eml(name: str, *, number: str | None = None) -> bytes:
    """A corpus message; the reply corpus's ticket number replaced by `number` (same length)."""
    raw = (CORPUS / name).read_bytes()
    if number is not None:
        assert len(number) == len(PLACEHOLDER.decode())
        raw = raw.replace(PLACEHOLDER, number.encode())
    return raw


@pytest.fixture
def mail_world(world):
    """The world with e-mail addresses: 张三 (req_a) writes from zhangsan@tax.example.cn and so on."""
    for user, address in ((world.requester_a, "ZhangSan@Tax.Example.CN"), (world.requester_a2, "lisi@tax.example.cn"),
                          (world.requester_b, "qianwu@hrss.example.cn"), (world.agent, "agent@opsdesk.example")):
        user.email = address
        user.save(update_fields=["email"])
    return world


@pytest.fixture
def mailbox(mail_world) -> Mailbox:
    return Mailbox.objects.create(contract=mail_world.contract_a, name="税务局报修", address="helpdesk@opsdesk.example",
                                  imap_host="127.0.0.1", imap_port=993, security=Security.SSL, username="helpdesk",
                                  password="secret", unknown_sender_policy=UnknownSenderPolicy.CREATE_REQUESTER)


def comments(incident: Incident) -> list[str]:
    from django.contrib.contenttypes.models import ContentType

    from opsdesk.core.models import Activity, ActivityKind

    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(Incident),
                                        object_id=incident.pk, kind=ActivityKind.COMMENT)
                .order_by("id").values_list("body", flat=True))


# --- Dovecot ---------------------------------------------------------------------------------------------

@dataclass
class Dovecot:
    host: str
    ssl_port: int
    starttls_port: int
    ca_file: str
    root: Path

    password: str

    def client(self, username: str, password: str):
        import imaplib
        import ssl

        conn = imaplib.IMAP4_SSL(self.host, self.ssl_port, ssl_context=ssl.create_default_context(cafile=self.ca_file))
        conn.login(username, password)
        return conn


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
auth_mechanisms = plain
# The sandbox runs tests as root: Dovecot refuses root for its login and mail processes, so those run as the
# package's own users; mail files belong to the dovecot user.
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{root}/mail/%u
auth_failure_delay = 0
# Every user name logs in with the one password: each test takes a user (and so a mailbox) of its own.
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A Dovecot of its own for this test process (xdist workers each get one: own ports and directory)."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None:
        pytest.fail("Dovecot is missing: apt-get install dovecot-imapd (scripts/test installs it as root)")
    root = Path(tempfile.mkdtemp(prefix="opsdesk-dovecot-"))
    root.chmod(0o755)
    for sub in ("mail", "home", "run", "state"):
        (root / sub).mkdir()
        (root / sub).chmod(0o777)
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",  # noqa: S603
                    "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"), "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    password = uuid.uuid4().hex
    is_root = os.geteuid() == 0
    internal = "dovecot" if is_root and _user_exists("dovecot") else os.environ.get("USER", "nobody")
    login = "dovenull" if is_root and _user_exists("dovenull") else internal
    mail_user = "dovecot" if is_root and _user_exists("dovecot") else str(os.getuid())
    ssl_port, starttls_port = free_port(), free_port()
    (root / "dovecot.conf").write_text(DOVECOT_CONF.format(root=root, ssl_port=ssl_port, starttls_port=starttls_port,
                                                           internal=internal, login=login, mail_user=mail_user,
                                                           password=password),
                                       encoding="ascii")
    proc = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", ssl_port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"Dovecot did not start: {out}\n{log}")
            time.sleep(0.05)
    try:
        yield Dovecot(host="127.0.0.1", ssl_port=ssl_port, starttls_port=starttls_port,
                      ca_file=str(root / "cert.pem"), root=root, password=password)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)
