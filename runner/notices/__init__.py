"""Notices to members: their texts, e-mail, PDF letters, the outbox, the post room and the sealed
access codes."""
