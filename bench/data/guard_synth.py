"""Synthetic training lines for the guard model: semantic classes, not memorised phrases.

Each category is written as intent x target x modality: who acts (我们/有人/兄弟们 …), what
they do (the category's verbs and objects, several synonyms each), and how it is framed
(plain, conditional "再不还的话…", hint "难保…", question "信不信…"). Compliant lines are
built from the same parts under negation ("我们不会…") and from firm-but-legal,
third-party and crisis-care frames, so the model learns the classes, not the wording.
Training data only (bench/train_guard.py); never an evaluation set. Deterministic.
"""

from __future__ import annotations

import random

WHO = ["我们", "我", "我们的人", "有人", "兄弟们", "我们同事", "外访的同事", "公司"]
IF = ["", "再不还的话，", "你再拖下去，", "要是今天还不处理，", "不还钱的话，", "你再躲着，"]
HINT = ["", "难保", "说不定哪天", "信不信", "小心", "到时候"]

ACTS: dict[str, list[str]] = {
    "threat": [
        "上门去找你",
        "去你家门口等你",
        "天天去你家蹲你",
        "让你吃不了兜着走",
        "让你好看",
        "让你日子不好过",
        "去你孩子学校看看",
        "找到你住的地方",
        "让你后悔",
        "对你不客气",
        "让你在这里混不下去",
        "跟你没完",
    ],
    "violence": [
        "打断你的腿",
        "卸你一条胳膊",
        "砸了你家的门",
        "把你的车砸了",
        "扎破你的车胎",
        "揍你一顿",
        "找人收拾你",
        "给你放点血",
        "把你家店砸了",
        "抽你几个耳光",
        "捅你一刀",
        "放火烧你家",
    ],
    "contact_unrelated": [
        "打电话给你的同事",
        "去找你的领导",
        "联系你通讯录里的人",
        "给你的朋友挨个打电话",
        "去找你的邻居",
        "联系你公司的人事",
        "去找你们村委会",
        "给你的同学打电话",
        "联系你的房东",
        "去你单位找你老板",
    ],
    "harassment": [
        "每天给你打几十个电话",
        "一直打到你接为止",
        "半夜给你打电话",
        "每隔十分钟打一次",
        "轮流给你打电话",
        "打爆你的手机",
        "早上六点就给你打",
        "晚上十一点再打给你",
        "不停地给你发短信",
        "二十四小时打给你",
    ],
    "privacy": [
        "把你的照片发到网上",
        "把你的身份证挂到网上",
        "在朋友圈曝光你",
        "把你欠钱的事发到群里",
        "把你的住址贴出来",
        "在小区门口贴你的欠款信息",
        "把你的信息发给你的亲戚",
        "在抖音上曝光你",
        "把你列进网上的失信名单",
        "把你的资料发给所有联系人",
    ],
}
EN_ACTS: dict[str, list[str]] = {
    "threat": [
        "come to your house",
        "show up at your door",
        "make your life hell",
        "find where you live",
        "make you regret this",
        "visit your kids' school",
        "wait for you outside your office",
    ],
    "violence": [
        "break your legs",
        "smash your car",
        "beat you up",
        "burn down your shop",
        "hurt you",
        "send some guys to rough you up",
    ],
    "contact_unrelated": [
        "call your boss",
        "call your coworkers",
        "contact everyone in your phone",
        "talk to your neighbours",
        "call your friends one by one",
        "contact your landlord",
    ],
    "harassment": [
        "call you every ten minutes",
        "keep calling until you pick up",
        "call you in the middle of the night",
        "call you fifty times a day",
        "ring you nonstop all weekend",
    ],
    "privacy": [
        "post your photo online",
        "share your ID card on social media",
        "publish your name on a debtor list",
        "post your address in the group chat",
        "send your details to all your contacts",
    ],
}
EN_WHO = ["We'll", "I'll", "Our team will", "Someone will", "My guys will"]
EN_IF = ["", "If you don't pay, ", "Keep ignoring us and ", "Unless you pay today, "]

# Categories that are statements rather than acts: (stem, completions).
SAYINGS: dict[str, list[str]] = {
    "insult": [
        "你是{x}吗",
        "你这个{x}",
        "真是个{x}",
        "你就是个{x}，赶紧还钱",
        "you {e}",
        "what a {e} you are",
    ],
    "derogatory": [
        "你们这种{y}就是没出息",
        "欠钱不还的人都是{y}",
        "你就是个{y}",
        "people like you are {f}",
        "you're just a {f}",
    ],
    "impersonation": [
        "我是{z}的，打电话通知你",
        "这里是{z}，你的欠款案子已经到我们这里",
        "我代表{z}找你了解情况",
        "我们{z}已经受理了你的案子",
        "this is {g} calling about your debt",
        "I'm calling from {g} about your case",
    ],
    "false_legal": [
        "不还钱{l}",
        "你这个欠款{l}",
        "再拖下去{l}",
        "if you don't pay {h}",
        "not paying means {h}",
    ],
    "personal_account": [
        "钱直接转到{p}就行",
        "你把钱打到{p}，我帮你处理",
        "转给{p}更快",
        "pay it into {q}",
        "send the money to {q}",
    ],
    "misleading": [
        "{m}",
        "今天还的话，{m}",
        "只要你还一部分，{m}",
        "{n}",
        "if you pay today, {n}",
    ],
}
FILL = {
    "x": ["傻子", "白痴", "猪脑子", "废物", "脑残", "傻逼", "蠢货", "神经病", "瓜娃子", "窝囊废"],
    "e": ["idiot", "moron", "stupid loser", "worthless piece of trash", "pathetic liar"],
    "y": ["老赖", "骗子", "社会的蛀虫", "没脸没皮的人", "丢人现眼的东西", "不要脸的人"],
    "f": ["deadbeats", "lowlifes", "freeloaders", "a disgrace", "a deadbeat", "scum"],
    "z": ["法院", "公安局", "派出所", "检察院", "律师事务所的律师", "金融监管局", "执行局"],
    "g": ["the police", "the court", "the prosecutor's office", "your lawyer", "the government"],
    "l": [
        "是要坐牢的",
        "警察马上就会来抓你",
        "你家人的账户都会被冻结",
        "你孩子以后不能上大学",
        "你父母的房子会被没收",
        "已经构成诈骗罪了",
        "会被判刑",
    ],
    "h": [
        "you'll go to jail",
        "the police will arrest you",
        "your family's accounts will be frozen",
        "your children can't go to college",
        "it's a criminal offence",
    ],
    "p": ["我个人的卡上", "我的微信", "我的支付宝", "我私人账户", "我同事的卡上", "我的收款码"],
    "q": ["my personal account", "my own card", "my PayPal", "my WeChat"],
    "m": [
        "利息全部给你免掉",
        "征信记录我帮你删掉",
        "黑名单马上解除",
        "剩下的钱都不用还了",
        "要另收两百块上门费",
        "每天加收一百块催收费",
    ],
    "n": [
        "I'll waive all the interest",
        "your credit record will be wiped clean",
        "there's a 300 yuan collection fee",
        "the rest of the debt will be cancelled",
    ],
}
THIRD_PARTY = [
    "他欠了我们{a}，一直没还",
    "他的借款已经逾期{d}了",
    "您能不能替他把这笔钱还了",
    "你是他家人，他欠钱的事你得管管",
    "he owes us {a} and hasn't paid",
    "could you pay his overdue balance for him",
]
CRISIS_BAD = [
    "别拿这个吓唬我，今天必须还钱",
    "想死也得先把钱还了",
    "少来这一套，什么时候还",
    "你的情况我不管，还款日期不变",
    "别装了，先还钱",
    "that's not my problem, pay today",
    "stop being dramatic and pay",
]
OK_NEG = ["我们不会", "我们绝不会", "请放心，我们不会", "公司规定不能", "我们从来不会"]
EN_NEG = ["We will never", "We won't", "Don't worry, we will not"]
OK_FIRM = [
    "这笔款项逾期了，今天能给个还款时间吗",
    "如果长期不处理，委托方可能会依法起诉",
    "逾期记录会按规定报送征信",
    "我们可以帮您申请分期，您看每月多少合适",
    "还款请转到合同上的对公账户",
    "减免需要委托方审批，我帮您提交申请",
    "我是受委托的催收专员，想跟您确认还款安排",
    "the creditor may take legal action as the contract allows",
    "could we agree on a payment plan today",
    "please pay only to the official company account",
]
OK_TP = ["麻烦您请他回个电话", "请他方便时联系我们", "could you ask him to call us back"]
OK_CRISIS = [
    "还款的事先放一放，您现在安全吗",
    "我很担心您，这是心理援助热线",
    "我会报告主管，今天不谈钱",
    "are you safe right now? here is a helpline",
]


def lines(seed: int = 7) -> list[dict]:
    """Synthetic rows in the labelled-set format (ctx, labels)."""
    rng = random.Random(seed)
    out: list[dict] = []

    def add(text: str, labels: list[str], tp: bool = False, crisis: bool = False) -> None:
        out.append({"text": text, "labels": labels, "ctx": {"third_party": tp, "crisis": crisis}})

    for cat, acts in ACTS.items():
        for act in acts:
            for _ in range(3):
                add(f"{rng.choice(IF)}{rng.choice(HINT)}{rng.choice(WHO)}{act}", [cat])
            add(f"{rng.choice(OK_NEG)}{act}，请放心", [])
    for cat, acts in EN_ACTS.items():
        for act in acts:
            for _ in range(2):
                add(f"{rng.choice(EN_IF)}{rng.choice(EN_WHO)} {act}.", [cat])
            add(f"{rng.choice(EN_NEG)} {act}.", [])
    for cat, stems in SAYINGS.items():
        for stem in stems:
            key = stem[stem.index("{") + 1] if "{" in stem else None
            for v in FILL[key] if key else [""]:
                add(stem.format(**{key: v}) if key else stem, [cat])
    for s in THIRD_PARTY:
        for a in ("三万块", "五千", "5000 yuan"):
            add(s.format(a=a, d="三个月"), ["disclosure"], tp=True)
    for s in CRISIS_BAD:
        add(s, ["crisis_pressure"], crisis=True)
    for s in OK_FIRM:
        add(s, [])
        add(s, [], crisis=False, tp=False)
    # Denials and reassurance built from the violation vocabulary are compliant.
    for z in FILL["z"]:
        add(f"我不是{z}的，我是受委托的催收员", [])
    for g in FILL["g"]:
        add(f"I'm not {g}, I work for the collection agency.", [])
    for v in FILL["l"]:
        add(f"请放心，这不是说{v}，欠款是民事纠纷", [])
    # The model lines the shipped scenarios offer trainees are compliant by definition.
    from coaching.roleplay.scenarios import load_dir

    for sc in load_dir().values():
        for line in sc.model_lines.values():
            add(line, [], tp=sc.third_party, crisis=sc.crisis)
    for s in OK_TP:
        add(s, [], tp=True)
    for s in OK_CRISIS:
        add(s, [], crisis=True)
    return out
