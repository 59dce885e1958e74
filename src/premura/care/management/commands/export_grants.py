"""`premura export_grants`: every generated code as CSV on standard output."""

from django.core.management.base import BaseCommand

from premura.care.export import coded_grants, write_grants_csv


class Command(BaseCommand):
    help = "Print the compensation codes as CSV, to load into the shop's platform."

    def handle(self, *args, **options):
        write_grants_csv(coded_grants(), self.stdout)
