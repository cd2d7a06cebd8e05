"""The one exception users see.

Anything the user can fix (a bad name, an unreadable file, a dead resolver given on the command line)
raises ``LookalikeError`` with one sentence that says what is wrong. The CLI prints that line and
exits 2. Network failures during a scan are not errors: they become ``Status`` values.
"""


class LookalikeError(Exception):
    """A problem with the user's input or environment, explained in one line."""
