"""What customers tells the apps above it, which it must not import.

`customer_changed` is sent by `services.update_customer` inside its transaction, with `customer`
and `fields` (the names of the fields that changed): the SLA re-reads a customer's open cases when
their tier changes (decision 0013).
"""

from django.dispatch import Signal

customer_changed = Signal()
