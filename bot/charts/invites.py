"""The printable invite sheet: QR cards, 12 per A4 page (a PDF, or a PNG per page)."""

from __future__ import annotations

from pathlib import Path

from bot.charts import kit as chartkit
from coaching import people
from coaching.onboarding import private_file

PER_ROW, PER_COL = 3, 4  # 12 cards per A4 page


def cjk_font() -> bool:
    """Whether names can be drawn: the charts' CJK font (bundled, or a system one) is there."""
    return chartkit.setup() != "DejaVu Sans"


def write_sheet(invites: list[people.Invite], bot_username: str, path: Path) -> list[Path]:
    """A PDF of QR cards, 12 per A4 page; or, when `path` ends in .png, one PNG per page
    (`NAME.png`, or `NAME-1.png`, `NAME-2.png`, … for more than one page). Returns the files.
    Without a CJK font (e.g. fonts-noto-cjk) names would print as boxes, so cards then show
    the employee number only (the CSV has the names)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import segno
    from matplotlib.backends.backend_pdf import PdfPages

    names = cjk_font()
    per_page = PER_ROW * PER_COL
    pages = [invites[i : i + per_page] for i in range(0, len(invites), per_page)] or [[]]

    def page(items: list[people.Invite]) -> plt.Figure:
        fig, axes = plt.subplots(PER_COL, PER_ROW, figsize=(8.27, 11.69))
        for ax in axes.flat:
            ax.axis("off")
        for ax, inv in zip(axes.flat, items, strict=False):
            qr = segno.make(inv.link(bot_username), error="m")
            matrix = np.array([list(row) for row in qr.matrix_iter(scale=1, border=4)])
            ax.imshow(1 - matrix, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
            label = (
                f"{inv.employee_no} {inv.name}" if names or inv.name.isascii() else inv.employee_no
            )
            ax.set_title(label, fontsize=10)
            ax.text(
                0.5,
                -0.08,
                f"{inv.code}  (until {inv.expires_at:%m-%d %H:%M} UTC)",
                transform=ax.transAxes,
                ha="center",
                fontsize=8,
                family="monospace",
            )
        fig.tight_layout(pad=2.0)
        return fig

    with chartkit.LOCK:  # pyplot's global state: one drawing at a time
        if path.suffix.lower() == ".png":
            written = [
                path if len(pages) == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
                for n in range(1, len(pages) + 1)
            ]
            for items, dest in zip(pages, written, strict=True):
                fig = page(items)
                fig.savefig(dest, dpi=150)
                plt.close(fig)
        else:
            written = [path]
            with PdfPages(path) as pdf:
                for items in pages:
                    fig = page(items)
                    pdf.savefig(fig)
                    plt.close(fig)
    for p in written:
        private_file(p)
    return written
