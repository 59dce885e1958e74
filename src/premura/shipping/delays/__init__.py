"""Delay detection: which undelivered parcels will miss the date promised at checkout.

Three signals (docs/decisions/0019-delay-model.md): the carrier's explicit exception, a parcel
stalled for longer than its carrier/lane norm in business days, and a discrete-time hazard model
of the delivery day trained on the shop's own shipments, with a classifier of late parcels three
days before the promise (decision 0027). The package works on plain `Parcel`
records and dates, never on the database, so that the live desk (`store`) and the replay of a
real export (`replay`) run the very same code.
"""
