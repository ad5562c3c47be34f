"""Port of ``src/api/providers/constants.ts`` (Roo-Code @ cb83656).

``Package.version`` is src/package.json's ``version`` at the pinned commit.
"""

from __future__ import annotations

from typing import Final

# src/shared/package.ts: Package.version (src/package.json)
PACKAGE_VERSION: Final = "3.52.1"

DEFAULT_HEADERS: Final[dict[str, str]] = {
    "HTTP-Referer": "https://github.com/RooVetGit/Roo-Cline",
    "X-Title": "Roo Code",
    "User-Agent": f"RooCode/{PACKAGE_VERSION}",
}
