"""Creating, migrating and removing tenant databases (used by the CLI and the control plane's drivers)."""
