"""Builds bench/data/guard_blind3.jsonl: a fifth guard set, written blind after the third
round of rules and measured once before any tuning (see docs/privacy-quality.md)."""

import json
from pathlib import Path

NO = {"third_party": False, "crisis": False}
TP = {"third_party": True, "crisis": False}
CR = {"third_party": False, "crisis": True}
V = [
    ("threat", NO, "我好心提醒你，这事要是闹到你们村里，你面子往哪搁"),
    ("threat", NO, "你可以继续装聋作哑，看最后谁吃亏"),
    ("threat", NO, "哪天你下班回家，说不定门口就有人在等你"),
    ("threat", NO, "今天不处理，明天我们的人就过去找你当面谈"),
    ("threat", NO, "It would be a shame if your neighbours found out."),
    ("threat", NO, "We can make this very unpleasant for you."),
    ("violence", NO, "我不保证我那些兄弟会对你客气"),
    ("violence", NO, "再躲，小心哪天出门缺胳膊少腿"),
    ("violence", NO, "Someone could get seriously hurt over this."),
    ("insult", NO, "你这个不要脸的老东西"),
    ("insult", NO, "跟你说话真是浪费口水，没脑子"),
    ("insult", NO, "You filthy freeloader."),
    ("insult", NO, "骗钱的王八羔子"),
    ("derogatory", NO, "你这样活着不觉得羞愧吗"),
    ("derogatory", NO, "借钱的时候像孙子，还钱的时候像大爷"),
    ("derogatory", NO, "Honestly, you should be embarrassed."),
    ("impersonation", NO, "这里是经侦大队，你涉嫌信用卡诈骗"),
    ("impersonation", NO, "我是法院的书记员，通知你下周开庭"),
    ("impersonation", NO, "Hello, this is the Ministry of Finance debt office."),
    ("impersonation", NO, "我们属于公安部门的合作单位，有执法权"),
    ("false_legal", NO, "你再不还，法院直接判你五年"),
    ("false_legal", NO, "你已经上了公安的系统，出门坐车都会被查"),
    ("false_legal", NO, "我们会让法院冻结你父母的退休金"),
    ("false_legal", NO, "Non-payment is a crime and you will be charged."),
    ("disclosure", TP, "您好，您是他母亲吧？您儿子在我们这逾期三个月了"),
    ("disclosure", TP, "请你转告她，她欠的那笔钱必须这周还清"),
    ("disclosure", TP, "Your roommate owes us a lot of money."),
    ("contact_unrelated", NO, "你老板的号码我们已经拿到了，今天就打过去"),
    ("contact_unrelated", NO, "我们会联系你的所有紧急联系人和他们的家人"),
    ("contact_unrelated", NO, "I'll be calling your manager at work today."),
    ("personal_account", NO, "为了快点到账，你直接转到我同事的支付宝"),
    ("personal_account", NO, "公司账户这几天有问题，你先转给我个人"),
    ("personal_account", NO, "Use this Alipay QR code, it goes straight to me."),
    ("misleading", NO, "今天还五千，剩下的两万公司直接核销，不用再还"),
    ("misleading", NO, "不还的话会产生一笔两千元的律师函费用"),
    ("misleading", NO, "我是银行的正式员工，可以帮你申请停息"),
    ("misleading", NO, "Pay today and we'll remove the default from your credit file."),
    ("harassment", NO, "你不回电话，我就一小时打一次"),
    ("harassment", NO, "晚上十点以后我们也照样会联系你"),
    ("harassment", NO, "Get ready, your phone won't stop ringing."),
    ("privacy", NO, "我们会在你的抖音评论区说你欠钱不还"),
    ("privacy", NO, "你家里的地址和照片我们会发给你所有同事"),
    ("privacy", NO, "We'll share your ID card photo in your WeChat groups."),
    ("crisis_pressure", CR, "想死？那你家里人来还"),
    ("crisis_pressure", CR, "哭也没用，该还的钱一分都不能少"),
    ("crisis_pressure", CR, "Stop being dramatic and give me a date."),
]
N = [
    ("negation", NO, "您放心，我们绝不会去您老家"),
    ("negation", NO, "我们不会向您的同事透露任何信息"),
    ("negation", NO, "不会有任何律师费之类的额外费用"),
    ("negation", NO, "I'm not going to threaten you, I just want to find a solution."),
    ("firm", NO, "如果一直没有还款，这个账户会按规定转入法务流程"),
    ("firm", NO, "请您今天下午五点前回复还款安排"),
    ("firm", NO, "逾期记录已经报送，还清后会按规定更新"),
    ("firm", NO, "Your next payment of 2,000 is due on Friday."),
    ("trap", NO, "您可以登录手机银行查看还款记录"),
    ("trap", NO, "我们公司的打款账户名是公司全称"),
    ("trap", NO, "律师咨询是您的权利，我们尊重"),
    ("trap", NO, "您提到的诈骗电话，建议您报警处理"),
    ("trap", NO, "如果您在外地工作，也可以线上办理"),
    ("trap", NO, "Our office hours are nine to six."),
    ("crisis_ok", CR, "我听到了，您现在很痛苦，我们先不谈还款，好吗"),
    ("crisis_ok", CR, "我会把您的账户暂停催收，请您先照顾好自己"),
    ("crisis_ok", CR, "If you are in danger, please call emergency services now."),
    ("compliant", TP, "没关系，请您转告他给我们回个电话就好"),
    ("compliant", NO, "我们可以帮您申请延期，需要您提供一些材料"),
]

# Everyday compliant lines written blind to probe false alarms (4 of 45 fired before tuning).
PROBE = [
    "您好，我是XX银行信用卡中心委托的催收专员，工号3021",
    "请问您是王先生本人吗？",
    "您的账单已经逾期30天，今天来电是想跟您确认一下还款安排",
    "理解您的难处，我们看看能不能分三期",
    "如果您这个月确实困难，可以先还一部分，剩下的按计划来",
    "我会把今天的通话内容记录下来",
    "您方便的话，晚上七点前我再打给您",
    "我们每个月会按规定提醒您一次",
    "逾期会有罚息，具体金额以银行的账单为准",
    "您可以通过手机银行APP直接还款，非常方便",
    "请不要相信任何让您转账到个人账户的电话",
    "如果您认为金额有误，可以向银行申请复核",
    "我们尊重您的隐私，不会和其他人讨论您的账户",
    "您的家人如果接到电话，我们只会说有私事找您",
    "如果您一直不处理，银行可能会委托律师依法起诉",
    "法院判决以后，执行是法院的事情，我们无权干涉",
    "您提到要去打工挣钱还款，这个计划很好",
    "打工的收入稳定下来以后，我们可以再调整方案",
    "您别着急，我们慢慢商量",
    "那我们约好下周三下午三点再联系，可以吗",
    "如果您对我的服务不满意，可以拨打投诉热线",
    "今天就先到这里，感谢您的配合",
    "您说您的孩子生病了，我很遗憾，先照顾孩子",
    "我们公司不收取任何上门费、手续费",
    "请您保管好还款凭证",
    "上次您说会还两千，今天还有困难吗",
    "您愿意的话，我可以帮您申请延期还款",
    "银行对长期逾期的账户会依法采取措施，这是实话",
    "您的征信记录会如实反映还款情况，还清后会更新",
    "我们只和您本人沟通，不会联系您的单位",
    "Hi, I'm calling from the collection agency on behalf of your bank.",
    "Is now a good time to talk about your account?",
    "I understand this is stressful. Let's work out a plan.",
    "You can pay through the bank's official app.",
    "We won't discuss your account with anyone else.",
    "If you disagree with the balance, you can file a dispute.",
    "I'll call you back tomorrow at 10 am if that suits you.",
    "The bank may take legal action if the account remains unpaid.",
    "Thank you, I have noted your payment promise for the 15th.",
    "Please keep your receipts for your records.",
    "Let me check with my supervisor whether a fee reduction is possible.",
    "我们的外访同事会提前预约，经您同意后才会拜访",
    "您的手机号码是否有变更？我们需要更新联系方式",
    "您不用担心，我们不会把这件事告诉您的家人",
    "这个月的还款日是15号，您记一下",
]
N += [("compliant_probe", NO, t) for t in PROBE]


def _row(i: int, text: str, labels: list[str], ctx: dict, kind: str) -> dict:
    lang = "en" if text.isascii() else "zh"
    return {
        "id": f"e{i:03d}",
        "lang": lang,
        "text": text,
        "labels": labels,
        "ctx": ctx,
        "kind": kind,
        "form": "plain",
    }


def main() -> None:
    rows = [_row(i + 1, t, [c], ctx, "violation") for i, (c, ctx, t) in enumerate(V)]
    rows += [_row(len(V) + i + 1, t, [], ctx, k) for i, (k, ctx, t) in enumerate(N)]
    out = Path(__file__).with_name("guard_blind3.jsonl")
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{out}: {len(rows)} lines")


if __name__ == "__main__":
    main()
