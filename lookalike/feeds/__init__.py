"""Feeds of names seen in the world: Certificate Transparency logs (``ct``, with the signed-head and
Merkle checks in ``merkle`` and ``notes`` and the log list in ``loglist``), registries' zone files
(``zones``), and text input (``lines``: one name a line, zone files, CT JSON lines).

Each network function takes its endpoint; nothing here matches names (``lookalike.match`` does) or
keeps state between runs (the caller keeps the positions the followers hand back).
"""
