"""A keyring backend holding the logins of a JSON file, for the release tests.

keyring loads it by name in the process that runs scripts/release, as it loads any
backend: PYTHON_KEYRING_BACKEND=tests.support.file_keyring.FileKeyring, with the file
named by FILE_KEYRING (`{"<service>": {"<username>": "<password>"}}`). It only reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.credentials import Credential, SimpleCredential
from keyring.errors import PasswordDeleteError, PasswordSetError

FILE = "FILE_KEYRING"


def _logins(service: str) -> dict[str, str]:
    stored: dict[str, dict[str, str]] = json.loads(
        Path(os.environ[FILE]).read_text(encoding="utf-8")
    )
    return stored.get(service, {})


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        return 1

    def get_password(self, service: str, username: str) -> str | None:
        return _logins(service).get(username)

    def get_credential(self, service: str, username: str | None) -> Credential | None:
        logins = _logins(service)
        if username is None and logins:
            username = next(iter(logins))
        if username is None or username not in logins:
            return None
        return SimpleCredential(username, logins[username])

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("this keyring only reads its file")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("this keyring only reads its file")
