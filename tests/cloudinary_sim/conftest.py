"""Fixtures of the local Cloudinary's tests (defined in support.py, which
other test packages can import)."""
from .support import cld, csim, receiver, sdk_secret  # noqa: F401
