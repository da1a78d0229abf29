"""The domain layer: the city's rules and actions, one module per subject.

Every interface (chat handlers, the web console, the Open311 API, feed ingesters) calls these
functions instead of holding a rule of its own. Each action takes a `Work` (the session, who
acts, the process-wide services), checks the actor's role itself, writes the audit entry and
queues the notifications, in the caller's transaction (nothing here commits).

This package imports no interface: not bot.core, bot.channels, bot.web, handlers, telegram
or aiohttp (tests/test_boundaries.py).
"""
