"""`premura serve`: the production web server (gunicorn's sync workers, static files by WhiteNoise)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from premura.core.serving import (
    MAX_DEFAULT_WORKERS,
    PremuraServer,
    available_cpus,
    default_workers,
    gunicorn_options,
)


class Command(BaseCommand):
    help = (
        "Serve Premura with gunicorn: the console, the portal, the API and the static files. "
        "Put it behind a reverse proxy that terminates HTTPS (see deploy/ and the README)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8000",
            help="address to listen on: HOST:PORT or unix:PATH (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            help=(
                f"worker processes (default 2 x CPUs + 1, at most {MAX_DEFAULT_WORKERS}: "
                f"{default_workers(available_cpus())} here)"
            ),
        )
        parser.add_argument(
            "--timeout", type=int, default=30, help="seconds a request may take before its worker is replaced"
        )
        parser.add_argument(
            "--access-log",
            default="-",
            help="file for the access log, '-' for standard output (default), 'off' for none",
        )
        parser.add_argument(
            "--max-requests",
            type=int,
            default=1000,
            help="replace a worker after about this many requests (0: never; default 1000)",
        )
        parser.add_argument(
            "--skip-collectstatic",
            action="store_true",
            help="do not collect the static files before starting (they are already collected)",
        )

    def handle(self, *args, **options) -> None:
        workers = options["workers"] or default_workers(available_cpus())
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if options["timeout"] < 1:
            raise CommandError("--timeout must be at least 1 second")
        if options["max_requests"] < 0:
            raise CommandError("--max-requests must be 0 or more")
        if not options["skip_collectstatic"]:
            # Before the application loads: WhiteNoise indexes the collected files when it starts.
            call_command("collectstatic", interactive=False, verbosity=0)
        # Serve the collected files only: with the finders on (settings, so that tests and
        # runserver need no collectstatic) WhiteNoise would serve the source files in their place,
        # without the compressed variants collectstatic made. Set before the application loads.
        settings.WHITENOISE_USE_FINDERS = False
        from premura.wsgi import application

        # Workers fork from this process: none may inherit a database connection of the master.
        connections.close_all()
        access_log = None if options["access_log"] == "off" else options["access_log"]
        server = PremuraServer(
            application,
            gunicorn_options(
                bind=options["bind"],
                workers=workers,
                timeout=options["timeout"],
                access_log=access_log,
                max_requests=options["max_requests"],
            ),
        )
        server.run()
