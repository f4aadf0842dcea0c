"""The Chromium the browser tests read the site in: Debian's, never one Playwright downloads.

Standard library only: noxfile.py imports it too (`nox -s browser` installs it when missing).
`CHROMIUM` in the environment names another one.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
