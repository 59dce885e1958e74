"""What conversations tells the apps above it, which it must not import (docs/architecture.md,
"SLA"; decision 0013).

`case_changed` is sent by the case actions of `conversations.services` right after each writes,
with `case` (the instance, up to date) and `action` (the audit action it recorded, e.g.
"case.replied"). It is sent inside the action's transaction, not on commit: what a receiver writes
(the SLA's deadlines) commits or rolls back with the change, and a receiver that fails undoes it.
"""

from django.dispatch import Signal

case_changed = Signal()
