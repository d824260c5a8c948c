"""Synthetic evidence files for the attachment tests (not a test module): photos with EXIF and GPS,
and files signed with a C2PA manifest by a throw-away certificate authority made on the spot."""

from __future__ import annotations

import datetime as dt
import io

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

GPS_IFD = 0x8825
MAKE, MODEL, DATETIME = 0x010F, 0x0110, 0x0132


def photo_with_metadata(size: tuple[int, int] = (640, 480), colour: tuple[int, int, int] = (90, 140, 60)) -> bytes:
    """A JPEG whose EXIF names a device and a time and whose GPS block gives a position."""
    picture = Image.new("RGB", size, colour)
    for x in range(0, size[0], 7):  # some detail, so the re-encoding has something to do
        picture.putpixel((x, x % size[1]), (250, 250, 250))
    exif = Image.Exif()
    exif[MAKE] = "SyntheticPhone"
    exif[MODEL] = "Model 0"
    exif[DATETIME] = "2014:10:03 09:41:00"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 30.0, 12.5), 3: "E", 4: (34.0, 27.0, 1.25)})
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def _name(common: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Synthetic")]
    )


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def c2pa_signed(image: bytes, media_type: str = "image/jpeg") -> bytes:
    """``image`` with an embedded C2PA manifest ("created by a camera") signed with ES256."""
    import c2pa

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Synthetic test CA"))
        .issuer_name(_name("Synthetic test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("Synthetic camera"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    chain = (leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)).decode()

    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    manifest = {
        "claim_generator_info": [{"name": "corridor-tests", "version": "1"}],
        "title": "synthetic capture",
        "format": media_type,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            }
        ],
    }
    signer = c2pa.Signer.from_callback(sign, c2pa.C2paSigningAlg.ES256, chain)
    out = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, media_type, io.BytesIO(image), out)
    return out.getvalue()


def mp4_header() -> bytes:
    """The start of an MP4 file (an ``ftyp`` box), enough for its type to be recognised."""
    return b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free"


def proofmode_bundle(
    media: bytes,
    *,
    name: str = "IMG_20141003_094100.jpg",
    tamper_media: bool = False,
    signed_by_another_key: bool = False,
    without_media_signature: bool = False,
    without_public_key: bool = False,
    phone_key: RsaOpenPgpKey | None = None,
) -> bytes:
    """A ProofMode proof bundle as the app shares it: the media under its own name; ``H.proof.csv`` and
    ``H.proof.json`` (H the media's SHA-256) recording that hash with synthetic device readings; ``H.asc``,
    ``H.proof.csv.asc`` and ``H.proof.json.asc``, armoured detached OpenPGP signatures by a key made on the
    spot; an OpenTimestamps and a SafetyNet placeholder; ``pubkey.asc`` and ``HowToVerifyProofData.txt``.

    The options spoil one thing each: a byte of the media flipped after signing; every signature made by
    another key than the one shipped; the media's signature left out; the public key left out.
    ``phone_key`` signs instead of a key made with pysequoia (to sign with a key certified as ProofMode's are)."""
    import csv
    import hashlib
    import json
    import zipfile

    import pysequoia

    phone = pysequoia.Tsk.generate("ProofMode synthetic phone <proofmode@example.org>")
    other = pysequoia.Tsk.generate("Someone else <other@example.org>")
    signer = (other if signed_by_another_key else phone).signer()

    def sign(data: bytes) -> bytes:
        if phone_key is not None and not signed_by_another_key:
            return phone_key.sign(data)
        signed = pysequoia.sign(signer, data, mode=pysequoia.SignatureMode.DETACHED)
        return signed if isinstance(signed, bytes) else str(signed).encode("ascii")

    digest = hashlib.sha256(media).hexdigest()
    proof = {
        "File Path": f"/storage/emulated/0/DCIM/Camera/{name}",
        "File Hash SHA256": digest,
        "File Modified": "Fri Oct 03 09:41:00 GMT+03:00 2014",
        "Proof Generated": "Fri Oct 03 09:41:05 GMT+03:00 2014",
        "Manufacturer": "SyntheticPhone",
        "Hardware": "Model 0",
        "Location.Latitude": "31.503",
        "Location.Longitude": "34.45",
    }
    as_csv = io.StringIO()
    writer = csv.DictWriter(as_csv, fieldnames=list(proof))
    writer.writeheader()
    writer.writerow(proof)
    csv_bytes = as_csv.getvalue().encode("utf-8")
    json_bytes = json.dumps(proof, indent=2).encode("utf-8")
    shipped = bytearray(media)
    if tamper_media:
        shipped[len(shipped) // 2] ^= 0x01
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(name, bytes(shipped))
        if not without_media_signature:
            bundle.writestr(f"{digest}.asc", sign(media))
        bundle.writestr(f"{digest}.proof.csv", csv_bytes)
        bundle.writestr(f"{digest}.proof.csv.asc", sign(csv_bytes))
        bundle.writestr(f"{digest}.proof.json", json_bytes)
        bundle.writestr(f"{digest}.proof.json.asc", sign(json_bytes))
        bundle.writestr(f"{digest}.ots", b"\x00OpenTimestamps\x00\x00Proof\x00synthetic")
        bundle.writestr(f"{digest}.gst", b"eyJhbGciOiJSUzI1NiJ9.eyJzeW50aGV0aWMiOnRydWV9.c2lnbmF0dXJl")
        if not without_public_key:
            bundle.writestr("pubkey.asc", phone_key.public if phone_key else str(phone.extract_certificate()))
        bundle.writestr("HowToVerifyProofData.txt", "Synthetic bundle for tests.\n")
    return out.getvalue()


class RsaOpenPgpKey:
    """An RSA OpenPGP key built packet by packet (RFC 4880), as ProofMode's phones make theirs with Bouncy
    Castle: the user ID certified with ``certify_with`` (ProofMode: SHA-1), data signed with SHA-256.

    pysequoia cannot make a key with a SHA-1 certification, and a test needs one: this is the least
    OpenPGP that such a key and its detached signatures take."""

    def __init__(self, user_id: str = "noone@proofmode.witness.org", certify_with: str = "SHA1") -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self._private.public_key().public_numbers()
        self._created = int(dt.datetime.now(dt.UTC).timestamp()) - 86400
        self._body = b"\x04" + self._created.to_bytes(4, "big") + b"\x01" + _mpi(numbers.n) + _mpi(numbers.e)
        self.fingerprint = hashlib_sha1(b"\x99" + len(self._body).to_bytes(2, "big") + self._body)
        user = user_id.encode("utf-8")
        signed = (
            b"\x99" + len(self._body).to_bytes(2, "big") + self._body + b"\xb4" + len(user).to_bytes(4, "big") + user
        )
        certification = self._signature(0x13, signed, certify_with, key_flags=True)
        self.public = _armor("PUBLIC KEY BLOCK", _packet(6, self._body) + _packet(13, user) + _packet(2, certification))

    def _signature(self, kind: int, data: bytes, hash_name: str, *, key_flags: bool = False) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        algorithm = {"SHA1": (2, hashes.SHA1()), "SHA256": (8, hashes.SHA256())}[hash_name]
        hashed = _subpacket(2, (self._created + 60).to_bytes(4, "big")) + _subpacket(33, b"\x04" + self.fingerprint)
        if key_flags:
            hashed += _subpacket(27, b"\x03")  # certify and sign
        head = bytes([4, kind, 1, algorithm[0]]) + len(hashed).to_bytes(2, "big") + hashed
        trailer = b"\x04\xff" + len(head).to_bytes(4, "big")
        digest = hashes.Hash(algorithm[1])
        digest.update(data + head + trailer)
        signature = self._private.sign(data + head + trailer, padding.PKCS1v15(), algorithm[1])
        unhashed = _subpacket(16, self.fingerprint[-8:])
        return (
            head
            + len(unhashed).to_bytes(2, "big")
            + unhashed
            + digest.finalize()[:2]
            + _mpi(int.from_bytes(signature, "big"))
        )

    def sign(self, data: bytes) -> bytes:
        """An armoured detached signature of ``data`` (binary document, SHA-256), as ProofMode's."""
        return _armor("SIGNATURE", _packet(2, self._signature(0x00, data, "SHA256"))).encode("ascii")


def hashlib_sha1(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha1(data).digest()  # the v4 fingerprint is SHA-1 by definition (RFC 4880, 12.2)


def _mpi(value: int) -> bytes:
    return value.bit_length().to_bytes(2, "big") + value.to_bytes((value.bit_length() + 7) // 8, "big")


def _packet(tag: int, body: bytes) -> bytes:
    return bytes([0xC0 | tag, 0xFF]) + len(body).to_bytes(4, "big") + body


def _subpacket(kind: int, data: bytes) -> bytes:
    return bytes([len(data) + 1, kind]) + data


def _armor(kind: str, data: bytes) -> str:
    import base64

    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    body = base64.b64encode(data).decode("ascii")
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    checksum = base64.b64encode((crc & 0xFFFFFF).to_bytes(3, "big")).decode("ascii")
    return f"-----BEGIN PGP {kind}-----\n\n{lines}\n={checksum}\n-----END PGP {kind}-----\n"
