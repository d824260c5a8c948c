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
