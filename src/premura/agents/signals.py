"""What agents tell the apps above them (conversations hands an absent agent's urgent cases on)."""

from django.dispatch import Signal

# Sent by agents.services.set_availability inside its transaction, not on commit: what the
# receivers write (an away agent's urgent cases handed on) commits or rolls back with the switch,
# so an agent is never away while still holding them. Arguments: agent, is_available, actor.
availability_changed = Signal()
