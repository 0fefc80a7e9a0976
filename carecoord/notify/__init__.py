"""Notifications that reach a person: a durable outbox, its dispatcher, and the webhook and e-mail channels."""
