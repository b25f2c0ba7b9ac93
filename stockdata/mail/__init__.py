"""Outgoing e-mail: the one way the product sends a message (see ``services.email_send``)."""
