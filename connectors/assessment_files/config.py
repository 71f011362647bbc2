"""Where a district drops an assessment vendor's export files: a folder or a zip on the
gateway's disk, or a folder on an SFTP server. Vendor connectors subclass :class:`DropConfig`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, model_validator

from gateway.abc import ConnectorConfig
from gateway.learning.records import ID_KINDS

__all__ = ["DropConfig", "LearnerIdKind"]


def _id_kind(value: str) -> str:
    if value not in ID_KINDS:
        raise ValueError(f"{value!r} is not an id kind; use one of {', '.join(ID_KINDS)}")
    return value


LearnerIdKind = Annotated[str, AfterValidator(_id_kind)]
"""A vendor config's ``learner_id_kind``: what the export's student id is in the roster."""


class DropConfig(ConnectorConfig):
    path: str | None = None
    """A folder holding the export files (zips in it are opened too), or one ``.zip``."""
    sftp_host: str | None = None
    """An SFTP server holding the export files in ``sftp_path`` (instead of ``path``)."""
    sftp_port: int = Field(22, ge=1, le=65535)
    sftp_user: str | None = None
    sftp_password: SecretStr | None = None
    sftp_private_key: SecretStr | None = None
    """The client's private key, as the text of its file (OpenSSH or PEM, unencrypted)."""
    sftp_path: str = "."
    """The remote folder, absolute or relative to the SFTP user's home folder."""
    sftp_known_hosts: str | None = None
    """The server's host key: ``known_hosts`` lines (what ``ssh-keyscan -p PORT HOST``
    prints, checked with the server's owner) or the path of a known_hosts file. When None,
    the gateway user's ``~/.ssh/known_hosts`` is used, and an unknown host is refused."""
    sftp_insecure_skip_host_check: bool = False
    """Accept any host key (test servers only: anyone between the gateway and the server
    could read the exports and the password)."""

    @model_validator(mode="after")
    def _one_place(self) -> DropConfig:
        if (self.path is None) == (self.sftp_host is None):
            raise ValueError("set exactly one of path (a folder or .zip on the gateway) or "
                             "sftp_host (an SFTP server), not both and not neither")
        if self.sftp_host is not None:
            if not self.sftp_user:
                raise ValueError("sftp_user is required with sftp_host: the account the "
                                 "vendor or the district gave for the SFTP server")
            if self.sftp_password is None and self.sftp_private_key is None:
                raise ValueError("set sftp_password or sftp_private_key for the SFTP account "
                                 f"{self.sftp_user!r}")
        return self
