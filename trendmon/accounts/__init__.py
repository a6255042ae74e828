"""Accounts, roles, sessions and kiosk links: the rules, without a store.

The store of these records is one interface, :class:`~trendmon.accounts.store.AccountStore`,
with one implementation per history backend (``trendmon.sinks.sqlite.accounts``,
``trendmon.sinks.mongo.accounts``, opened by ``trendmon.sinks.factory.open_accounts``). The
functions here take any store, so the command line and the dashboard do the same things:

- :mod:`.roles`: ``viewer`` < ``analyst`` < ``admin``, and what each may do;
- :mod:`.passwords`: the password policy (8 to 128 characters, no composition rules, not one of
  the most common passwords) and Argon2id hashing;
- :mod:`.users`: add, list, change role or password, disable, remove, authenticate;
- :mod:`.sessions`: server-side sessions (random ids stored only as hashes, idle and absolute
  timeouts) and one-time sign-in links;
- :mod:`.kiosks`: kiosk links for wall displays.

Every secret handed out (session id, kiosk token, sign-in link) is 256 random bits; the store
keeps only its SHA-256, so a copy of the store opens nothing.
"""
