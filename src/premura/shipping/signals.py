"""What shipping tells the apps above it (they listen; shipping never imports them).

`risk_changed(sender=Shipment, shipment, risk_signal, expected_date, level)`: sent on commit when
a shipment's delay risk appears, moves (another signal, another expected date) or clears. The
argument is `risk_signal`, not `signal`: Django passes the Signal itself as `signal`.
"""

from django.dispatch import Signal

risk_changed = Signal()
