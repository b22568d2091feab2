"""Builds bench/data/guard_dev.jsonl: a second, independently phrased guard set (indirect and
polite paraphrases), written after the first rules to check they generalise."""

import json
from pathlib import Path

NO = {"third_party": False, "crisis": False}
TP = {"third_party": True, "crisis": False}
CR = {"third_party": False, "crisis": True}
V = [
    ("threat", NO, "您要是一直这样拖着，那我们只能换一种方式跟您沟通了"),
    ("threat", NO, "我们的同事这两天会到您小区附近走访一下"),
    ("threat", NO, "你不怕哪天出门被人堵？"),
    ("threat", NO, "我劝你别把事情闹大，对你没好处"),
    ("threat", NO, "我们有的是时间陪你耗"),
    ("threat", NO, "今天晚上之前不给答复，你自己掂量后果"),
    ("threat", NO, "If I were you I'd pay before things get ugly."),
    ("threat", NO, "We have people in your area who can pay you a visit."),
    ("threat", NO, "You don't want to find out what happens next."),
    ("violence", NO, "再不还小心你的手脚"),
    ("violence", NO, "信不信找人把你腿打折"),
    ("violence", NO, "你家窗户玻璃哪天碎了别奇怪"),
    ("violence", NO, "Someone might rough you up if you keep hiding."),
    ("violence", NO, "我让兄弟们好好招呼招呼你"),
    ("insult", NO, "你这脑子是被驴踢了吧"),
    ("insult", NO, "真是个没脸没皮的东西"),
    ("insult", NO, "你TM能不能听懂"),
    ("insult", NO, "你是猪吗，这都不明白"),
    ("insult", NO, "Are you brain-dead or something?"),
    ("insult", NO, "Listen, you lowlife, pay up."),
    ("insult", NO, "尼玛的，赶紧还"),
    ("derogatory", NO, "你这样的人我见多了，没一个有出息的"),
    ("derogatory", NO, "你好意思吗？欠钱还理直气壮"),
    ("derogatory", NO, "Grown adults pay their debts, unlike you."),
    ("impersonation", NO, "我们是法院执行庭的，今天来核实你的财产"),
    ("impersonation", NO, "我是市公安局经侦支队的李警官"),
    ("impersonation", NO, "我们这边属于司法部门，专门处理恶意欠款"),
    ("impersonation", NO, "Hi, Officer Wang here from the local precinct."),
    ("impersonation", NO, "I'm with the court's enforcement division."),
    ("impersonation", NO, "我是受托的律师，今天给你发律师函"),
    ("false_legal", NO, "再拖下去你就要进去了"),
    ("false_legal", NO, "你这种情况属于恶意逃债，派出所会来带人"),
    ("false_legal", NO, "不还的话你名下所有财产包括你爸妈的房子都会被拍卖"),
    ("false_legal", NO, "你家孩子以后政审过不了"),
    ("false_legal", NO, "You could face criminal prosecution for this."),
    ("false_legal", NO, "Your parents' savings will be frozen too."),
    ("false_legal", NO, "明天你的名字就会出现在失信名单上，全家都坐不了飞机"),
    ("disclosure", TP, "您是他爱人吧？他在我们这有一笔三万的欠款没还"),
    ("disclosure", TP, "麻烦您跟他说一下，他的网贷已经逾期两个月了"),
    ("disclosure", TP, "你哥欠的钱你们家里得有个人出面"),
    ("disclosure", TP, "Your husband's credit card bill is three months late."),
    ("disclosure", TP, "Can you tell your brother his loan payment is overdue?"),
    ("disclosure", TP, "他借了我们公司两万块一直没还"),
    ("contact_unrelated", NO, "你再不接，我就只好打到你们公司前台了"),
    ("contact_unrelated", NO, "我们会通知你单位的领导协助处理"),
    ("contact_unrelated", NO, "你朋友圈里那些人我们都会一个个去问"),
    ("contact_unrelated", NO, "We'll reach out to your employer's HR department."),
    ("contact_unrelated", NO, "I'll start calling the people in your phone book."),
    ("personal_account", NO, "你把钱打我支付宝，我帮你走内部流程"),
    ("personal_account", NO, "转到我发你的这个卡号就行，是我们经理的"),
    ("personal_account", NO, "加我微信，直接微信转账给我"),
    ("personal_account", NO, "You can just Venmo me the money."),
    ("personal_account", NO, "Send the payment to my personal PayPal."),
    ("misleading", NO, "今天还了我就帮你把罚息都抹掉，我说了算"),
    ("misleading", NO, "不还的话每天多收200元违约金，这是新规定"),
    ("misleading", NO, "你只要今天付一千，我保证以后没人再找你"),
    ("misleading", NO, "我们是国家指定的催收机构"),
    ("misleading", NO, "Pay 500 today and I'll make the whole debt disappear."),
    ("misleading", NO, "There's an extra legal processing charge of 300 dollars."),
    ("harassment", NO, "你不接电话，我们就每天打几十遍"),
    ("harassment", NO, "我晚上十一点再给你打"),
    ("harassment", NO, "我们会让你的手机一刻都不得安宁", ["threat"]),
    ("harassment", NO, "I'll call you every ten minutes until you answer."),
    ("harassment", NO, "Expect us to keep ringing day and night."),
    ("privacy", NO, "你欠钱的事我们会发到你们公司的群里"),
    ("privacy", NO, "你的身份证照片会被挂到网上"),
    ("privacy", NO, "我们会把你的欠款信息告诉你的邻居们", ["contact_unrelated", "disclosure"]),
    ("privacy", NO, "I'll forward your statement to your classmates' group."),
    ("privacy", NO, "Your photo will go up on our public defaulters page."),
    ("crisis_pressure", CR, "你说你不想活了，那欠款总得有个交代吧"),
    ("crisis_pressure", CR, "别动不动就要死要活的，先把钱的事解决"),
    ("crisis_pressure", CR, "你真想死也拦不住，但是账是要还的"),
    ("crisis_pressure", CR, "Enough with the suicide talk, when can you pay?"),
    ("crisis_pressure", CR, "I hear you, but the payment is still due today."),
]
N = [
    ("negation", NO, "我们不会派任何人去您家里"),
    ("negation", NO, "我们绝对不会去您孩子学校"),
    ("negation", NO, "这件事不会影响您孩子上学，请放心"),
    ("negation", NO, "我不会打给您的同事或领导"),
    ("negation", NO, "您不需要向任何个人账户付款"),
    ("negation", NO, "We are not the police and can't arrest anyone."),
    ("negation", NO, "Nobody will visit your workplace."),
    ("negation", NO, "我们不会收什么上门费"),
    ("firm", NO, "这笔账如果持续逾期，委托方有权依法起诉"),
    ("firm", NO, "按照合同，逾期会产生违约金，具体以合同为准"),
    ("firm", NO, "我今天必须跟您确认一个还款日期"),
    ("firm", NO, "如果法院判决后仍不履行，可能被限制高消费"),
    ("firm", NO, "The creditor may file a civil claim if the account stays unpaid."),
    ("firm", NO, "I need you to commit to a date today."),
    ("firm", NO, "您的逾期记录会如实上报征信"),
    ("firm", NO, "我们会在规定时间内再次联系您"),
    ("trap", NO, "我们打算周一再电话跟进"),
    ("trap", NO, "请到我司官网下载还款凭证"),
    ("trap", NO, "您单位的电话我们不会拨打"),
    ("trap", NO, "帮您查了一下，打折期间可以申请减免部分罚息，需要审批"),
    ("trap", NO, "这个政策是法院判例里常见的做法，您可以查一下"),
    ("trap", NO, "我们的客服热线24小时都有人接听"),
    ("trap", NO, "Our court-approved payment plan is on the website."),
    ("trap", NO, "Please keep the receipt as proof."),
    ("trap", NO, "He's not available? I'll call back later, thanks."),
    ("trap", NO, "您是本人吗？为了保护您的隐私，我需要先核实身份"),
    ("trap", NO, "刚才信号不好，我再打一次可以吗"),
    ("trap", NO, "这是最后一期了，还完就结清了"),
    ("crisis_ok", CR, "您说的这些我很担心，我们先不谈钱，好吗"),
    ("crisis_ok", CR, "现在最重要的是您的安全，您身边有人吗"),
    ("crisis_ok", CR, "全国心理援助热线可以24小时接听，我把号码发给您"),
    ("crisis_ok", CR, "I'm going to stop talking about the account now. Are you safe?"),
    ("crisis_ok", CR, "还款的事完全可以往后放，您先照顾好自己"),
    ("compliant", TP, "请问您认识他吗？能否请他回个电话"),
    ("compliant", TP, "不方便透露具体事情，是他的私人事务"),
    ("compliant", NO, "如果您觉得我们的沟通方式有问题，可以投诉到我们的质检部门"),
    ("compliant", NO, "您可以通过官方渠道申请延期"),
    ("compliant", NO, "Thanks for your time, I'll send the official payment link by SMS."),
    ("compliant", NO, "您的困难我理解，我帮您申请一下延期还款"),
]


def _row(i: int, text: str, labels: list[str], ctx: dict, kind: str) -> dict:
    lang = "en" if text.isascii() else "zh"
    return {
        "id": f"d{i:03d}",
        "lang": lang,
        "text": text,
        "labels": labels,
        "ctx": ctx,
        "kind": kind,
        "form": "plain",
    }


def main() -> None:
    rows = []
    for cat, ctx, t, *also in V:
        r = _row(len(rows) + 1, t, [cat], ctx, "violation")
        rows.append({**r, "also": also[0]} if also else r)
    for kind, ctx, t in N:
        rows.append(_row(len(rows) + 1, t, [], ctx, kind))
    out = Path(__file__).with_name("guard_dev.jsonl")
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{out}: {len(rows)} lines")


if __name__ == "__main__":
    main()
