"""`premura replay_olist FOLDER --split-date YYYY-MM-DD [--json]`: how well the delay detector
would have warned on a real Olist export, beside the naive 3-day rule, by the conventions of
issue 13 (shipping/delays/evaluation.py). Reads the folder; never stores anything.
"""

import argparse
import datetime
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from premura.shipping.delays.replay import ExportError, load_olist, replay

# Olist is a Brazilian marketplace: its parcels rest on Brazil's public holidays.
OLIST_HOLIDAYS = "BR"


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


class Command(BaseCommand):
    help = "Replay an Olist export through the delay detector with a daily clock and print its figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "folder", type=Path, help="the export's folder (orders.csv, order_items.csv, ...)"
        )
        parser.add_argument(
            "--split-date", required=True, type=_date, help="report orders purchased from this day"
        )
        parser.add_argument("--json", action="store_true", help="end with one line of JSON")

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        try:
            parcels = load_olist(options["folder"])
        except ExportError as error:
            raise CommandError(str(error)) from None
        result = replay(
            parcels,
            split=options["split_date"],
            country=OLIST_HOLIDAYS,
            progress=lambda run, detector: self.stderr.write(
                f"{run}: thresholds {detector.thresholds.ahead:.3f} ahead, {detector.thresholds.eve:.3f} eve"
            ),
        )
        report = result.report()
        write = self.stdout.write
        write(f"{len(parcels)} parcels, {time.monotonic() - started:.0f} s")
        write(f"{'':16}{'AUC':>7}{'recall':>9}{'false al.':>11}{'lead':>6}{'late':>6}{'on time':>9}")
        rows = [("all", report["model"], report["naive_3_days"])]
        rows += [(month, m["model"], m["naive_3_days"]) for month, m in report["by_month"].items()]
        for label, model, naive in rows:
            for rule, figures in (("model", model), ("naive 3 days", naive)):
                write(
                    f"{label + ' ' + rule:<16}{_number(figures['auc']):>7}{_percent(figures['recall']):>9}"
                    f"{_percent(figures['false_alarm_rate']):>11}{_number(figures['median_lead_days'], 1):>6}"
                    f"{figures['late']:>6}{figures['on_time']:>9}"
                )
        write("recall with lead >= 3 days at a false-alarm share:")
        for point in report["curve"]:
            write(f"  {_percent(point['false_alarm_rate'])}: {_percent(point['recall_lead_3_days'])}")
        if options["json"]:
            write(json.dumps(report))
