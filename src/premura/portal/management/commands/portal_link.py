from django.core.management.base import BaseCommand, CommandError

from premura.commerce.models import Order
from premura.portal.links import order_link


class Command(BaseCommand):
    help = "Print the signed portal link of an order, as the customer's e-mails carry it."

    def add_arguments(self, parser):
        parser.add_argument("order_number")

    def handle(self, *args, order_number: str, **options):
        order = Order.objects.filter(number=order_number.strip().upper()).first()
        if order is None:
            raise CommandError(f"No order numbered {order_number}")
        self.stdout.write(order_link(order))
