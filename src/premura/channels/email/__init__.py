"""The e-mail channel's adapters: parsing, classification and the transports (LMTP, IMAP, SMTP).

They know nothing of cases: `premura.channels.services` turns what they produce into the domain's
calls (docs/architecture.md, "E-mail").
"""
