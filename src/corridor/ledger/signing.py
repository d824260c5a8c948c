"""Where the checkpoint signing key lives: read by the evidence code that signs and the guards that check.

Kept apart from both so the guards (which :func:`corridor.ledger.services.verify` calls) never import
the evidence module, which imports the services.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

SIGNING_KEY_VARIABLE = "CORRIDOR_SIGNING_KEY_FILE"


def signing_key_path() -> Path:
    """``CORRIDOR_SIGNING_KEY_FILE`` if set, else ``signing-key.pem`` in the data directory."""
    configured = os.environ.get(SIGNING_KEY_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else Path(settings.DATA_DIR) / "signing-key.pem"
