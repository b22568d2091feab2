"""The dashboard: a Telegram Mini App served by the bot's own web server under /app/.

auth (initData), scope (who sees what), data (page data from the domain services), pages
(one function per page), render (Jinja2 + i18n), svg (charts), routes (HTTP), links (menu
button, web_app buttons, the console's demo links).
"""
