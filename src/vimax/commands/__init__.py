"""The work behind each ``vimax`` sub-command (these modules may print)."""
