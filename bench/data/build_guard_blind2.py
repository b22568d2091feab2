"""Builds bench/data/guard_blind2.jsonl: a fourth guard set, written blind after the second
round of rules and measured once before any tuning (see docs/privacy-quality.md)."""

from guard_set import build

NO = {"third_party": False, "crisis": False}
TP = {"third_party": True, "crisis": False}
CR = {"third_party": False, "crisis": True}
V = [
    ("threat", NO, "你要是还敢拉黑我，我保证你后悔一辈子"),
    ("threat", NO, "我们的人明天就到你们厂门口等你下班"),
    ("threat", NO, "你信不信我今晚就去你家门口坐着"),
    ("threat", NO, "别以为换了号码我们就找不到你"),
    ("threat", NO, "I know which school your daughter goes to."),
    ("threat", NO, "Keep ignoring me and see what happens."),
    ("violence", NO, "再不还我就让人把你车胎扎了"),
    ("violence", NO, "你这种人就该被打一顿"),
    ("violence", NO, "We'll break every window in your house."),
    ("insult", NO, "你个穷鬼，连这点钱都还不起"),
    ("insult", NO, "丢人现眼的玩意儿"),
    ("insult", NO, "滚吧你，懒得跟你废话"),
    ("insult", NO, "What kind of idiot borrows money he can't repay?"),
    ("derogatory", NO, "欠钱不还，你还算个男人吗"),
    ("derogatory", NO, "你孩子要是知道有你这样的父母多丢脸"),
    ("impersonation", NO, "我是检察院派来核实情况的"),
    ("impersonation", NO, "这边是法院委托的执行律师，今天正式通知你"),
    ("impersonation", NO, "I'm calling on behalf of the district court."),
    ("impersonation", NO, "我们是派出所的，你的案子转过来了"),
    ("false_legal", NO, "你这属于恶意透支，马上就会被判刑"),
    ("false_legal", NO, "不还的话你父母也要替你还，这是法律规定的"),
    ("false_legal", NO, "下礼拜警察就会去你单位把你带走"),
    ("false_legal", NO, "Your wife will be held liable for your debt."),
    ("disclosure", TP, "你们是室友吧？他欠了网贷一直不还"),
    ("disclosure", TP, "麻烦告诉你老公，他的信用卡欠款再不还就要起诉了"),
    ("disclosure", TP, "He owes our company twelve thousand, can you get him to call?"),
    ("contact_unrelated", NO, "你再不还，我就一个一个给你通讯录里的人打电话"),
    ("contact_unrelated", NO, "我们已经给你的房东打过电话了"),
    ("contact_unrelated", NO, "We've left messages with your co-workers."),
    ("personal_account", NO, "把钱打到我这个卡上：户名张三，建行"),
    ("personal_account", NO, "你用微信扫我这个码付款就行"),
    ("personal_account", NO, "Pay it into my wife's account, it's the same thing."),
    ("misleading", NO, "今天还清的话，我可以帮你把逾期记录从征信上撤掉"),
    ("misleading", NO, "不还的话每天要收5%的滞纳金，这是法律规定"),
    ("misleading", NO, "只要还一半，另外一半我做主给你免了"),
    ("misleading", NO, "Settle now and I'll personally make sure your credit score is fixed."),
    ("harassment", NO, "我会从早打到晚，打到你接为止"),
    ("harassment", NO, "凌晨我也会打过来，看你睡不睡得着"),
    ("harassment", NO, "We'll call you fifty times tomorrow if we have to."),
    ("privacy", NO, "我把你的欠款记录发到你们村的微信群里了"),
    ("privacy", NO, "你的照片我们会印在传单上发到你们小区"),
    ("privacy", NO, "We'll send your debt details to everyone at your gym."),
    ("crisis_pressure", CR, "你不想活了也得先把欠款结了"),
    ("crisis_pressure", CR, "别闹了，寻死觅活的我见多了，说正事，什么时候还"),
    ("crisis_pressure", CR, "Okay, but we still need a payment date from you."),
]
N = [
    ("negation", NO, "我们不会去您的工作单位，请放心"),
    ("negation", NO, "我们不会联系您的任何朋友或同事"),
    ("negation", NO, "我们不是公安机关，也无权采取强制措施"),
    ("negation", NO, "请您不要通过任何个人账号还款"),
    ("negation", NO, "We will not post anything about you anywhere."),
    ("firm", NO, "如果您一直不配合，委托方有权走司法途径"),
    ("firm", NO, "按合同约定，逾期罚息会按日计算"),
    ("firm", NO, "这是最后一次提醒您本期账单已逾期"),
    ("firm", NO, "You are legally obliged to repay this loan under your contract."),
    ("trap", NO, "我们单位的电话是官方热线，您可以回拨核实"),
    ("trap", NO, "您可以打官方客服电话核实我的身份"),
    ("trap", NO, "这个月的打款日是15号"),
    ("trap", NO, "您要是到银行柜台办理，记得带身份证"),
    ("trap", NO, "如果收到冒充法院的短信，请不要理会"),
    ("trap", NO, "The court system allows you to dispute the claim."),
    ("trap", NO, "Sorry if I called at a bad time."),
    ("crisis_ok", CR, "您现在的感受很重要，还款的事完全可以先放下"),
    ("crisis_ok", CR, "我马上请我的主管跟您联系，也给您一个心理援助热线"),
    ("crisis_ok", CR, "Please stay on the line with me. Is anyone nearby who can be with you?"),
    ("compliant", TP, "打扰了，请问他方便的时候能回个电话吗？"),
    ("compliant", NO, "我们可以一起看看怎样的还款计划适合您"),
    ("compliant", NO, "您这个月先还最低还款额也可以"),
]


def main() -> None:
    build("c", "guard_blind2.jsonl", V, N)


if __name__ == "__main__":
    main()
