"""CoachBot wiring: settings, Application build, jobs, outbox, CLI, web server, templates."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
