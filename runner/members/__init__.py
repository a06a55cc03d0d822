"""The member's side: the public complaint form, its confirmation, and the status page."""
