"""Escape once: messages are HTML escaped exactly once (also when a rendered message is put
inside another, as the HR alert is after a button press), and button labels and pop-up
alerts — plain text on Telegram — show the characters, not entities."""

from __future__ import annotations

from markupsafe import Markup
from sqlalchemy import select

from bot.i18n import label, plain, t
from bot.jobs.plans import markup_dict
from bot.transport.localapi import buttons
from db.models import Employee
from handlers.base import keyboard
from tests.conftest import Harness
from tests.hr_seed import only
from tests.test_hr_alerts import HR_SH, SH_CHAT, job, seed

NAME = "新人<甲>&乙"


async def test_hr_alert_after_a_button_press_is_escaped_once(ctx, harness: Harness) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    with ctx.db.session() as s:
        emp = s.execute(select(Employee).where(Employee.employee_no == "C0001")).scalar_one()
        emp.name = NAME
    ctx.extras["risk_config"] = only(tenure=30)
    await job(ctx, harness, "hr_risk_weekly", "SH")
    person = harness.api.sent(SH_CHAT)[1]
    assert "新人&lt;甲&gt;&amp;乙" in person.text
    await harness.chat.tap(HR_SH, person, "✅ 已联系")
    edited = harness.api.last(SH_CHAT).text
    assert "已联系 · 人事甲" in edited
    # The name inside the re-rendered alert: escaped once, never &amp;lt;.
    assert "新人&lt;甲&gt;&amp;乙" in edited
    assert "&amp;lt;" not in edited and "&amp;amp;" not in edited
    # The buttons under it are still the plain labels.
    assert [lbl for lbl, _ in buttons(harness.api.last(SH_CHAT))][:1] == ["✅ 已联系"]


def test_english_button_label_shows_the_ampersand() -> None:
    rendered = t("en", "plan.more_label", sel="small", n=3)
    assert rendered == "Instalment &amp; small +3"  # HTML for a message…
    # …but a button label is plain text, through either path that builds keyboards.
    [[btn]] = keyboard([[(rendered, "plan:more:1:20260301")]]).inline_keyboard
    assert btn.text == "Instalment & small +3"
    markup = markup_dict([[(rendered, "plan:more:1:20260301")]])
    assert markup is not None
    assert markup["inline_keyboard"][0][0]["text"] == "Instalment & small +3"
    assert label("en", "plan.more_label", sel="small", n=3) == "Instalment & small +3"


def test_a_rendered_message_nests_without_double_escaping() -> None:
    inner = t("zh_CN", "core.bound", name="<b>")
    assert isinstance(inner, Markup) and "&lt;b&gt;" in inner
    outer = t("zh_CN", "roleplay.cut", text=inner)
    assert "&lt;b&gt;" in outer and "&amp;lt;" not in outer
    assert plain(outer).startswith("✅ 绑定成功，<b>")
