"""Builds bench/data/guard_blind4.jsonl: a sixth guard set, written blind after the fifth
round of rules (pinyin) and measured once before any tuning (see docs/privacy-quality.md)."""

from guard_set import build

NO = {"third_party": False, "crisis": False}
TP = {"third_party": True, "crisis": False}
CR = {"third_party": False, "crisis": True}
V = [
    ("threat", NO, "我劝你想清楚，真把我们逼急了对谁都不好"),
    ("threat", NO, "你家小孩在哪个幼儿园我们都清楚"),
    ("threat", NO, "你要是不想你老婆知道，就赶紧把钱还了"),
    ("threat", NO, "我们这边有专门处理你这种人的团队"),
    ("threat", NO, "Don't test my patience, you won't like the result."),
    ("threat", NO, "We'll be in touch with your family in person."),
    ("violence", NO, "晚上一个人走路的时候注意点，别出什么意外"),
    ("violence", NO, "我们的人下手可没轻没重"),
    ("violence", NO, "I can't promise my guys will stay calm when they see you."),
    ("insult", NO, "你脑袋里装的都是浆糊吧"),
    ("insult", NO, "死赖账的东西"),
    ("insult", NO, "Stop whining, you spineless coward."),
    ("derogatory", NO, "三十多岁的人了还靠借钱过日子"),
    ("derogatory", NO, "你这种人就是社会的负担"),
    ("impersonation", NO, "我代表市中级法院跟你做最后一次沟通"),
    ("impersonation", NO, "我是刑侦支队的，你名下的卡涉嫌洗钱"),
    ("impersonation", NO, "This is Judge Thompson's office calling."),
    ("false_legal", NO, "你的房子明天就会被贴封条"),
    ("false_legal", NO, "你再拖，法院会把你列为老赖，你孩子高考都受影响"),
    ("false_legal", NO, "If you don't pay, your visa will be cancelled and you'll be deported."),
    ("false_legal", NO, "警方已经在查你了"),
    ("disclosure", TP, "你老公信用卡欠了我们三万多，你知道吗"),
    ("disclosure", TP, "作为他的担保人，你得替他把逾期的钱补上"),
    ("disclosure", TP, "I'm calling because your son missed four loan payments."),
    ("contact_unrelated", NO, "我们明天会去你们公司找你的主管聊聊"),
    ("contact_unrelated", NO, "你不接，那我只能给你爸妈单位打电话了"),
    ("contact_unrelated", NO, "We'll start contacting your Facebook friends."),
    ("personal_account", NO, "你把钱给我，我帮你交到公司"),
    ("personal_account", NO, "微信转给我就行，我给你出收据"),
    ("personal_account", NO, "Just hand me the cash when I come by."),
    ("misleading", NO, "你今天不还，明天利息就翻倍"),
    ("misleading", NO, "只有今天有这个减免政策，过了就没了"),
    ("misleading", NO, "不还款的话银行会收你一万块的违约诉讼费"),
    ("misleading", NO, "Your debt will double by next week if you don't act."),
    ("harassment", NO, "今天我已经打了你二十多次了，明天继续"),
    ("harassment", NO, "我会让同事轮番给你打"),
    ("harassment", NO, "I'll ring you before dawn every day."),
    ("privacy", NO, "你欠款的截图我已经发到你们公司大群了"),
    ("privacy", NO, "你的个人信息我们会打印出来贴到你们楼道"),
    ("privacy", NO, "Your address is going to be posted in the local forum."),
    ("crisis_pressure", CR, "说这些有什么用，你就是不想还"),
    ("crisis_pressure", CR, "死不死的跟我没关系，我只管收钱"),
    ("crisis_pressure", CR, "Look, I'm sorry you feel that way, but the balance is still due."),
]
N = [
    ("negation", NO, "我们不会去幼儿园找孩子，请您放心"),
    ("negation", NO, "我们没有派任何人上门"),
    ("negation", NO, "我不是法院的，我只是催收公司的员工"),
    ("negation", NO, "No one from our team will contact your employer."),
    ("firm", NO, "请您明确告诉我，这个月能还多少"),
    ("firm", NO, "如果继续逾期，合同约定的罚息会一直计算"),
    ("firm", NO, "We need a payment arrangement by Friday."),
    ("trap", NO, "我们公司在中山路有个营业网点"),
    ("trap", NO, "您可以把还款截图发给我们的官方客服邮箱"),
    ("trap", NO, "微信公众号里也可以查到账单"),
    ("trap", NO, "今天打了三次都没人接，所以给您发了短信"),
    ("trap", NO, "The judge's decision last year did not involve your account."),
    ("crisis_ok", CR, "您说的话让我很担心，我们现在不谈钱"),
    ("crisis_ok", CR, "I'm going to pause everything on your account. Your wellbeing comes first."),
    ("compliant", TP, "请转告他，有一件私人事务需要他回电"),
    ("compliant", NO, "您家人那边我们不会打扰"),
]


def main() -> None:
    build("f", "guard_blind4.jsonl", V, N)


if __name__ == "__main__":
    main()
