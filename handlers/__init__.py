"""Telegram-facing handlers: parse the update, check the role, call a service, render, reply.

Each feature module registers its commands with the decorators in `handlers.base`; the list
below is the one place that decides which modules are wired in.
"""

HANDLER_MODULES = [
    "handlers.core",
    "handlers.admin",
    "handlers.hr",
    "handlers.training",
    "handlers.score",
    "handlers.plan",
    "handlers.roleplay",
]
