"""Commands: filled in by the issue that owns this area."""
