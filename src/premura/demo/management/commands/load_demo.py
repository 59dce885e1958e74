"""`manage.py load_demo`: fill the database with the demo shop, Bottega Premura."""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from premura.demo import corpus, loader, planner


class Command(BaseCommand):
    help = (
        "Load the demo shop (teams, agents, carriers, customers, orders, shipments, cases). "
        "Does nothing if it is already loaded, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=400, help="number of customers (default 400)")
        parser.add_argument("--orders", type=int, default=1000, help="number of orders (default 1000)")
        parser.add_argument("--cases", type=int, default=300, help="number of cases (default 300)")
        parser.add_argument(
            "--seed", type=int, default=planner.DEFAULT_SEED, help="random seed (same seed, same shop)"
        )
        parser.add_argument(
            "--force", action="store_true", help="wipe the demo data already loaded and reload it"
        )

    def handle(self, *args, **options) -> None:
        sizes = {name: options[name] for name in ("customers", "orders", "cases")}
        for name, value in sizes.items():
            if value < 0:
                raise CommandError(f"--{name} cannot be negative")
        if not sizes["customers"] and (sizes["orders"] or sizes["cases"]):
            raise CommandError("orders and cases need at least one customer")
        if loader.is_demo_loaded() and not options["force"]:
            self.stdout.write("The demo shop is already loaded; use --force to wipe it and load it again.")
            return

        started = time.monotonic()
        try:
            summary = loader.load_demo(**sizes, seed=options["seed"], force=options["force"])
        except loader.DemoError as error:
            raise CommandError(str(error)) from None
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo shop {corpus.SHOP_NAME} in {elapsed:.1f} s: "
                f"{summary.customers} customers ({summary.identities} identities), "
                f"{summary.orders} orders, {summary.refunds} refunds, "
                f"{summary.shipments} shipments ({summary.tracking_events} tracking events), "
                f"{summary.cases} cases ({summary.messages} messages)."
            )
        )
        agents = ", ".join(name for name in summary.agents if name != "admin")
        self.stdout.write(f"Log in as admin / {corpus.DEMO_PASSWORD} (administrator)")
        self.stdout.write(f"or as one of {agents} / {corpus.DEMO_PASSWORD} (agents).")
