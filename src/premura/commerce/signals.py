"""What commerce tells the apps above it (they listen; commerce never imports them).

`money_action_settled(sender=the action's model, action)`: sent on commit when the shop's
platform has done a money action (a refund submitted, an order cancelled, a coupon made, a
replacement order made, an address changed) or refused it for good (`action.status` failed,
`action.error` the platform's words). care tells the customer.

`refund_completed(sender=Refund, refund)`: sent on commit when a refund's money reached the
customer (`services.mark_refund_completed`). care keeps its promise of the refund's date.
"""

from django.dispatch import Signal

money_action_settled = Signal()
refund_completed = Signal()
