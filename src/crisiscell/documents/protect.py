"""PDFs that hold patient data leave the server encrypted: AES-256 (PDF 2.0 security
handler, revision 6) under a password given to people by another way (shown once on a
page, or printed for a sealed envelope). No Django here: kits are encrypted in worker
processes.
"""

from __future__ import annotations

import io
import secrets

import pikepdf

#: No 0/O, 1/l/I: read on a screen or a sheet and typed by hand. 31 symbols, 20 of them:
#: about 99 bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_GROUPS, _GROUP_LENGTH = 4, 5


def new_password() -> str:
    """A random password: ``k7pmx-3xqaz-…`` (hyphens included)."""
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
    )


def encrypt(pdf: bytes, password: str) -> bytes:
    """`pdf` encrypted with AES-256 (R6): `password` opens it; a random owner password,
    thrown away, keeps its permissions (printing allowed)."""
    return protect(pdf, password)[0]


def protect(pdf: bytes, password: str | None) -> tuple[bytes, int]:
    """`pdf` encrypted under `password` (left as it is when None), and its page count."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        pages = len(doc.pages)
        if password is None:
            return pdf, pages
        out = io.BytesIO()
        doc.save(
            out,
            encryption=pikepdf.Encryption(
                user=password, owner=secrets.token_urlsafe(32), R=6, aes=True, metadata=True
            ),
        )
    return out.getvalue(), pages
