"""Builds bench/data/guard_blind.jsonl: a third guard set, written blind (after the rules,
without looking at what they match) and measured once before any tuning; the figure
before tuning is the honest estimate of how the rules do on unseen lines."""

from guard_set import build

NO = {"third_party": False, "crisis": False}
TP = {"third_party": True, "crisis": False}
CR = {"third_party": False, "crisis": True}
V = [
    ("threat", NO, "你最好今天把钱准备好，不然晚上有人去敲你家门"),
    ("threat", NO, "我们外访组就在你们县城，随时可以过去"),
    ("threat", NO, "你觉得你能躲一辈子吗？我们迟早找到你"),
    ("threat", NO, "你老家的地址我们已经查到了"),
    ("threat", NO, "别给脸不要脸"),
    ("threat", NO, "Pay up, or we'll make your life very difficult."),
    ("threat", NO, "We'll be waiting outside your building tonight."),
    ("violence", NO, "小心哪天被车撞了"),
    ("violence", NO, "再拖着，我让人把你店给砸了"),
    ("violence", NO, "You'll end up in the hospital."),
    ("violence", NO, "我找人去你家门口泼红漆"),
    ("insult", NO, "你这个臭不要脸的"),
    ("insult", NO, "什么玩意儿，欠钱不还还有理了"),
    ("insult", NO, "You're nothing but a lying cheat."),
    ("insult", NO, "脑子有坑吧你"),
    ("insult", NO, "你個廢物"),
    ("derogatory", NO, "你爸妈怎么教出你这种人"),
    ("derogatory", NO, "做人要讲诚信，你连这点都做不到"),
    ("derogatory", NO, "Only losers dodge their debts."),
    ("impersonation", NO, "这里是区人民法院立案庭，你的案子已经排期"),
    ("impersonation", NO, "我是公安局的刘警官，需要你配合调查"),
    ("impersonation", NO, "I'm Detective Harris with the fraud unit."),
    ("impersonation", NO, "我们是银行法务部的律师"),
    ("impersonation", NO, "本人系人民法院执行人员"),
    ("false_legal", NO, "你这是犯法的，等着警察上门吧"),
    ("false_legal", NO, "你老公单位会被通知，工资直接扣"),
    ("false_legal", NO, "你会被列入黑名单，孩子以后找不到工作"),
    ("false_legal", NO, "The sheriff will seize your car next week."),
    ("false_legal", NO, "You'll be locked up for fraud."),
    ("false_legal", NO, "三天内不还，直接移送公安机关"),
    ("disclosure", TP, "你是他同事吧，他在我们这欠着五万呢"),
    ("disclosure", TP, "麻烦你催一下你弟弟，他的贷款拖了好久了"),
    ("disclosure", TP, "Your sister borrowed money from us and never paid it back."),
    ("disclosure", TP, "请您转告他，欠我们的钱这周必须还上"),
    ("contact_unrelated", NO, "你的同学群我们已经加进去了，会跟大家说说"),
    ("contact_unrelated", NO, "明天我们会打你老板的电话"),
    ("contact_unrelated", NO, "I'm going to contact everyone on your friends list."),
    ("personal_account", NO, "你先打两千到我卡上，我帮你跟公司说"),
    ("personal_account", NO, "别转公司账户，那个慢，转我这边"),
    ("personal_account", NO, "Just wire it to my account and I'll sort it out."),
    ("misleading", NO, "你今天还一千，剩下的我帮你申请全部免除，肯定没问题"),
    ("misleading", NO, "逾期每天要加收300元管理费"),
    ("misleading", NO, "我们有办法让你的征信变干净"),
    ("misleading", NO, "If you pay now the late fees disappear completely, guaranteed."),
    ("harassment", NO, "以后你每天都会接到我们几十个电话"),
    ("harassment", NO, "半夜三点我也会给你打"),
    ("harassment", NO, "I'll call you every night until you pay."),
    ("privacy", NO, "我们会把你的欠款截图发到你们家族群"),
    ("privacy", NO, "你的身份证信息我们会公布出来"),
    ("privacy", NO, "We'll post your name and photo on Facebook."),
    ("crisis_pressure", CR, "别说这些有的没的，钱什么时候还"),
    ("crisis_pressure", CR, "你想不开是你的事，欠款可不会消失"),
    ("crisis_pressure", CR, "Threatening suicide won't get you out of paying."),
]
N = [
    ("negation", NO, "我们不会上门，也不会找您的家人"),
    ("negation", NO, "我们不会把这件事告诉任何第三方"),
    ("negation", NO, "我不是警察，也不会吓唬您"),
    ("negation", NO, "We never share your information with your employer."),
    ("negation", NO, "你放心，不会有任何额外收费"),
    ("firm", NO, "逾期会影响您的个人信用记录，这是事实"),
    ("firm", NO, "如果协商不成，委托方可能会向法院起诉"),
    ("firm", NO, "我需要您今天给出还款计划"),
    ("firm", NO, "This is a formal reminder that your payment is 30 days late."),
    ("firm", NO, "请您重视这笔欠款，尽快处理"),
    ("trap", NO, "您可以到公安局开具无犯罪证明，这跟还款无关"),
    ("trap", NO, "我们打电话的时间是早上九点到晚上八点"),
    ("trap", NO, "您的律师如果有疑问，可以直接联系我们法务"),
    ("trap", NO, "每天打卡上班确实辛苦"),
    ("trap", NO, "We can send a courier with the paperwork if you prefer."),
    ("trap", NO, "他妈妈接的电话，我说稍后再打"),
    ("trap", NO, "您说的骗子短信不是我们发的，请提高警惕"),
    ("crisis_ok", CR, "谢谢您愿意告诉我，您的安全最重要，我们先不说还款"),
    ("crisis_ok", CR, "我现在联系我的主管，我们会暂停催收"),
    ("crisis_ok", CR, "You matter more than any bill. Can I give you a helpline number?"),
    ("compliant", TP, "请问他什么时候方便接电话？"),
    ("compliant", NO, "您之前说月底发工资，那我们约月底好吗"),
    ("compliant", NO, "如果您对催收方式有意见，可以拨打投诉电话"),
]


def main() -> None:
    build("b", "guard_blind.jsonl", V, N)


if __name__ == "__main__":
    main()
