"""What a file is, judged by its content; what may be shown of it; and what provenance it carries.

Pure functions over bytes and streams (no Django): the type is read from the first bytes with
puremagic, never from the file's name; images are re-encoded with Pillow into a derivative and a
thumbnail that carry no metadata at all (no EXIF, GPS, XMP, ICC profile or comment); a C2PA manifest
is verified with the C2PA reference library.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

import puremagic

if TYPE_CHECKING:
    from PIL import Image

# The allow list: detected media type -> kind. The kind decides the size limit and what is shown.
ALLOWED: dict[str, str] = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/webp": "image",
    "image/gif": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/webm": "video",
    "video/3gpp": "video",
    "audio/mpeg": "audio",
    "audio/mp4": "audio",
    "audio/ogg": "audio",
    "audio/wav": "audio",
    "application/pdf": "document",
    # Accepted only when it is a ProofMode proof bundle (corridor.ledger.proofmode), checked once read whole.
    "application/zip": "bundle",
}
KINDS = ("image", "video", "audio", "document", "bundle")
# puremagic's names for the same types.
_ALIASES = {"audio/wave": "audio/wav", "audio/x-wav": "audio/wav", "application/ogg": "audio/ogg"}
HEAD = 64 * 1024  # enough for every signature on the allow list

DERIVATIVE_EDGE = 1600
THUMBNAIL_EDGE = 320
# Decompression bombs: refuse images whose pixel count would take gigabytes to decode.
MAX_PIXELS = 60_000_000


def detect(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None if puremagic recognises nothing."""
    if head.startswith(b"PK\x03\x04"):
        # puremagic guesses an Office document for any zip from its first member's name; what the zip
        # holds is judged once it has been read whole.
        return "application/zip"
    try:
        candidates = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    found = [_ALIASES.get(c.mime_type, c.mime_type) for c in candidates if c.mime_type]
    for media_type in found:  # ordered by puremagic's confidence; prefer one we accept
        if media_type in ALLOWED:
            return media_type
    return found[0] if found else None


@dataclass(frozen=True)
class Derivatives:
    image: bytes  # JPEG or PNG, no metadata
    thumbnail: bytes
    media_type: str


def _encode(picture: Image.Image, fmt: str) -> bytes:
    from PIL import Image

    # A new image from the pixels alone: nothing of the original's info dict (EXIF, XMP, ICC, comments) follows.
    bare = Image.frombytes(picture.mode, picture.size, picture.tobytes())
    out = io.BytesIO()
    bare.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()


def _fit(picture: Image.Image, edge: int) -> Image.Image:
    from PIL import Image, ImageOps

    if max(picture.size) <= edge:
        return picture
    return ImageOps.contain(picture, (edge, edge), Image.Resampling.LANCZOS)


def derivatives(source: BinaryIO) -> Derivatives:
    """A metadata-free re-encoding (at most 1600 px on a side) and a 320-px thumbnail of an image.

    The picture is turned upright first (phones record rotation in EXIF, which is then dropped).
    Raises ValueError if the image cannot be decoded.
    """
    # Pillow is loaded by the first image, not by every server process at start-up (tests/test_footprint.py).
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(source) as opened:
            opened.seek(0)
            # A JPEG is decoded at the smallest scale still covering the derivative (1/2, 1/4, 1/8 of the
            # full size): a 48-MP phone photo then takes tens of megabytes to decode, not hundreds.
            scale = min(1.0, DERIVATIVE_EDGE / max(opened.size))
            opened.draft("RGB", (math.ceil(opened.size[0] * scale), math.ceil(opened.size[1] * scale)))
            opened.load()
            upright = ImageOps.exif_transpose(opened)
            picture = _fit(upright if upright is not None else opened, DERIVATIVE_EDGE)
            if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
                picture, fmt, media_type = picture.convert("RGBA"), "PNG", "image/png"
            else:
                picture, fmt, media_type = picture.convert("RGB"), "JPEG", "image/jpeg"
    except (OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise ValueError(f"the image cannot be read: {exc}") from None
    return Derivatives(_encode(picture, fmt), _encode(_fit(picture, THUMBNAIL_EDGE), fmt), media_type)


@dataclass(frozen=True)
class Provenance:
    status: str  # "valid", "invalid" or "none"
    manifest: str | None  # the manifest store as the library reports it (JSON), kept with the original
    problems: tuple[str, ...] = ()


def provenance(source: BinaryIO, media_type: str) -> Provenance:
    """Verify a C2PA manifest embedded in the file, if any.

    ``valid``: the manifest's signature and its hashes of the content check out (whether the signer
    is on a trust list is a separate question, left to the reader of the manifest). ``invalid``:
    a manifest is there but does not verify (the content or the manifest was altered). ``none``:
    no manifest, or a type the library cannot read.
    """
    import c2pa

    try:
        if media_type not in c2pa.Reader.get_supported_mime_types():
            return Provenance("none", None)
        reader = c2pa.Reader.try_create(media_type, source)
    except c2pa.C2paError as exc:
        # A file the library cannot parse as its type (a PDF it does not follow, a truncated JPEG) has
        # no manifest it can find; a manifest store that is there but broken does not verify.
        status = "none" if "could not be parsed" in str(exc) else "invalid"
        return Provenance(status, None, (str(exc)[:200],))
    if reader is None:
        return Provenance("none", None)
    with reader:
        state = (reader.get_validation_state() or "").lower()
        manifest = reader.json()
        results = reader.get_validation_results() or {}
    failures = tuple(
        sorted({str(item.get("code")) for item in (results.get("activeManifest") or {}).get("failure", [])})
    )
    status = "valid" if state in ("valid", "trusted") else "invalid"
    return Provenance(status, json.dumps(json.loads(manifest), sort_keys=True), failures)
