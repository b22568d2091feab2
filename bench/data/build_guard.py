"""Builds bench/data/guard_eval.jsonl: labelled collector lines for `bench/guard_eval.py`.

Each line: {"id", "lang", "text", "labels": [rule ids; [] = compliant], "ctx": {"third_party",
"crisis"}, "kind": "violation" | "negation" | "firm" | "trap" | "crisis_ok" | "compliant",
"form": "plain" | "spaced" | "fullwidth" | "traditional" | "pinyin" | "homophone"}.
The lines are hand-written per category; a seeded share is re-written with spacing,
full-width or traditional characters to test normalisation:

    .venv/bin/python bench/data/build_guard.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import opencc

OUT = Path(__file__).with_name("guard_eval.jsonl")
R = random.Random(17)
T = opencc.OpenCC("s2t")

TP = {"third_party": True, "crisis": False}
CR = {"third_party": False, "crisis": True}
NO = {"third_party": False, "crisis": False}

# category -> (context, zh lines, en lines)
VIOLATIONS: dict[str, tuple[dict, list[str], list[str]]] = {
    "threat": (
        NO,
        [
            "再不还钱我就去你单位找你",
            "明天我们就派人上门，你自己看着办",
            "你等着，有你好受的",
            "不还的话后果自负",
            "我们知道你住哪儿，别逼我们",
            "给你脸不要脸是吧，到时候别怪我们不客气",
            "我们的人已经在你家楼下了",
            "下周我带几个兄弟去你老家坐坐",
            "今天不还，明天就去你孩子学校门口等你",
            "你要是再躲，我就让你在村里抬不起头",
            "别逼我用别的办法",
            "我们会天天去你公司堵你",
            "小心点，晚上走路看着点",
            "信不信我让你混不下去",
            "不想惹麻烦就老实把钱交了",
            "你最好祈祷别让我找到你",
            "我保证让你全家都不得安宁",
            "走着瞧，看谁耗得过谁",
            "我们已经安排外访人员明天去你单位闹一闹",
            "再装死，就别怪我们找上门了",
            "我劝你识相点，不然有你苦头吃",
        ],
        [
            "We know where you live, so think carefully.",
            "If you don't pay, we'll come to your office tomorrow.",
            "You'll regret ignoring us.",
            "Pay today or else.",
            "We're sending someone to your house tonight.",
            "Watch your back.",
            "I'll make sure everyone in your village knows what you are.",
            "Don't make us show up at your kids' school.",
        ],
    ),
    "violence": (
        NO,
        [
            "再不还钱打断你的腿",
            "信不信我弄死你",
            "小心我找人揍你一顿",
            "把你家房子烧了看你还不还",
            "我让人砍你",
            "你家那辆车哪天被砸了可别怪我",
            "找几个人收拾你一顿就老实了",
            "我拿刀去你家谈",
            "不还钱就卸你一条胳膊",
            "再躲着就让你见血",
            "打到你还钱为止",
            "泼油漆都是轻的",
        ],
        [
            "I'll break your legs if you don't pay.",
            "Someone is going to hurt you.",
            "We'll burn your house down.",
            "I will kill you.",
            "You're going to get beaten up.",
            "Your car might get smashed one night.",
        ],
    ),
    "insult": (
        NO,
        [
            "你这个傻逼",
            "你就是个骗子",
            "废物一个，钱都还不起",
            "你还要不要脸",
            "真是个人渣",
            "你脑子有病吧",
            "滚蛋，别跟我废话",
            "你这种垃圾就不配借钱",
            "王八蛋，装什么死",
            "你妈的，赶紧还钱",
            "蠢货，听不懂人话吗",
            "你这个无赖",
            "死皮赖脸的东西",
            "狗东西，别装了",
            "你算什么东西",
        ],
        [
            "You idiot, just pay.",
            "You are a pathetic loser.",
            "Stop lying, you scumbag.",
            "What a stupid excuse, moron.",
            "You worthless piece of trash.",
            "Shut up, you bitch.",
        ],
    ),
    "derogatory": (
        NO,
        [
            "你这个老赖",
            "欠钱不还真丢人",
            "一个大男人这么没出息",
            "你还有没有良心",
            "你这种人就是不要面子",
            "做人不能这么没底线吧",
            "你父母知道你这么没用吗",
            "像你这种失信的人活该",
        ],
        [
            "Shame on you.",
            "You're a deadbeat.",
            "People like you are the problem.",
            "Have you no shame at all?",
        ],
    ),
    "impersonation": (
        NO,
        [
            "我是公安局的，请你配合调查",
            "这里是人民法院，通知你明天到庭",
            "我们是经侦大队的",
            "我是你这个案子的代理律师，受法院指派",
            "我这边是检察院的工作人员",
            "我是派出所民警小王",
            "我们是政府金融办的，专门处理你这种情况",
            "我代表法院通知你",
            "您好，这里是XX市中级人民法院执行局",
            "我是律师事务所的律师，今天正式通知你",
            "我们是公检法联合办案的",
            "我是司法局的，你的事已经转到我们这儿了",
            "本人是执行法官，给你最后一次机会",
            "我们是银监会的，来核实你的欠款",
        ],
        [
            "This is officer Li from the police.",
            "I'm calling from the court about your case.",
            "We are the district attorney's office.",
            "I am your lawyer and the judge has asked me to call.",
            "This is the government debt recovery bureau.",
            "I'm a police officer, you need to cooperate.",
        ],
    ),
    "false_legal": (
        NO,
        [
            "不还就抓你坐牢",
            "你这已经构成诈骗罪了，马上要被刑事拘留",
            "我们已经立案了，警察明天来抓你",
            "不还钱你全家银行卡都会被冻结",
            "你孩子以后考公当兵都不行",
            "你的子女将来上不了好学校",
            "今天不还，明天法院就上门查封你家房子",
            "你父母的养老金也会被扣",
            "你会被通缉，高铁飞机都坐不了",
            "逾期超过三个月就要判刑",
            "你的名字会被公布在电视上",
            "不还款直接拉进公安系统黑名单",
            "会被判三年以上",
            "你老婆的工资也会被强制执行",
            "这笔钱不还要蹲监狱的",
        ],
        [
            "You'll be arrested if you don't pay today.",
            "This is a criminal offence and you will go to jail.",
            "A warrant has already been issued in your name.",
            "We will seize your family's house.",
            "Your children will be barred from school.",
            "The police will come for you tomorrow.",
        ],
    ),
    "disclosure": (
        TP,
        [
            "他欠我们12000元，逾期三个月了",
            "麻烦转告他，他的信用卡已经严重逾期",
            "你儿子在我们这借了钱一直不还",
            "您是他同事吧？他欠了一大笔贷款",
            "请你告诉他赶紧还款，不然后果很严重",
            "你老公的欠款已经拖了半年",
            "你作为他的家人，有义务帮他还这笔钱",
            "你们家那位在网贷平台逾期了",
            "你弟弟欠的钱你们家里人得管管",
            "他的账单已经逾期90天了，金额不小",
            "让你朋友尽快处理他的借款",
            "跟你说实话，他是我们催收的对象",
        ],
        [
            "Tell him his loan is overdue.",
            "Your son owes us eight thousand yuan.",
            "As his colleague you should know he is in arrears.",
            "Please remind your husband about his credit card debt.",
            "Your brother hasn't paid back his loan for months.",
        ],
    ),
    "contact_unrelated": (
        NO,
        [
            "我们会打给你通讯录里的所有人",
            "我会联系你的同事和领导说明情况",
            "不还的话我们就找你的朋友们聊聊",
            "我们已经联系了你的邻居",
            "我现在就给你单位领导打电话",
            "我们会把你的事告诉你公司人事部",
            "你不接电话我们就只能打给你亲戚了",
            "你的紧急联系人我们每天都会联系",
            "我会挨个给你微信好友发消息",
            "我们会去找你的房东谈谈",
            "我会给你们村委会打电话反映",
        ],
        [
            "We'll call everyone in your contact list.",
            "I'm going to ring your boss about this.",
            "We will contact your neighbours and friends.",
            "We've already spoken to your colleagues.",
            "If you won't answer, we'll call your relatives instead.",
        ],
    ),
    "personal_account": (
        NO,
        [
            "你直接转到我个人的银行卡上就行",
            "钱打到我微信上，我帮你处理",
            "用支付宝转给我本人，比走公司快",
            "你把钱转给我同事的卡，他会帮你销账",
            "别走对公账户了，转我私人账户",
            "我发你一个收款码，扫码付给我",
            "先转五千到我的账户，我给你申请减免",
            "把还款打到这个个人账户，户名写我的名字",
            "直接给我转账就行，不用走APP",
            "还款转到我老婆的卡上，一样的",
        ],
        [
            "Just transfer the money to my personal account.",
            "Send it to my own bank card, it's faster.",
            "Pay me directly through WeChat and I'll clear it.",
            "Transfer it to my colleague's account, he'll handle it.",
            "Don't use the company account, pay me instead.",
        ],
    ),
    "misleading": (
        NO,
        [
            "今天还清，所有利息罚息全部免掉，我保证",
            "只要先还一半，剩下的公司就不要了",
            "不还的话要额外收取五千元上门费",
            "逾期一天加收1000元手续费",
            "我们有内部渠道可以帮你消除征信记录",
            "还了这笔就能马上恢复信用，我给你打包票",
            "这是最后一次机会，错过就不能协商了",
            "律师费诉讼费都要你全部承担，至少三万",
            "你现在还款可以免除所有法律责任",
            "我可以帮你把逾期记录删掉",
            "今天还的话立减百分之八十",
            "我们公司就是银行本身",
            "要收你一笔催收服务费",
            "只要还款，我们就帮你把之前的记录全部清零",
        ],
        [
            "Pay today and all interest will be waived, I promise.",
            "If you pay half now, the rest will be written off.",
            "There's a five hundred dollar collection fee for every week you delay.",
            "I can get your credit record deleted if you pay me now.",
            "This is your last chance ever to settle.",
            "We are the bank itself, not an agency.",
        ],
    ),
    "harassment": (
        NO,
        [
            "我会每天给你打二十个电话，直到你还钱",
            "你不接我就一直打，打到你接为止",
            "半夜我也会给你打",
            "今天已经给你打了十几个电话了，还会继续",
            "凌晨两点我照样打过来",
            "我们会安排人轮流给你打电话",
            "每隔一小时给你打一次",
            "你换号也没用，我们天天打",
            "以后每天早上六点我都会准时打给你",
            "我会用不同号码一直呼你",
            "连续打你五十个电话看你接不接",
        ],
        [
            "I'll keep calling you every hour until you pay.",
            "We will call you at midnight every night.",
            "I'm going to call you fifty times a day.",
            "We'll blow up your phone until you answer.",
            "Expect calls from us at 3 am.",
        ],
    ),
    "privacy": (
        NO,
        [
            "我们会把你欠钱的事发到朋友圈",
            "你的照片和身份证我们会发到网上曝光",
            "把你欠款的信息发到你们小区业主群",
            "我已经把你的资料发给你的同学了",
            "我们会在你单位门口贴你的欠款告示",
            "你老婆的手机号、你孩子的学校我们都知道",
            "我们会把你的通话记录公开",
            "你的家庭住址我可以告诉任何人",
            "我们要在抖音上曝光你",
            "你的欠款截图我已经发到家族群里了",
        ],
        [
            "We'll post your debt on social media.",
            "Your ID photo will be published online.",
            "I've shared your details with your classmates.",
            "We'll put up notices about your debt at your office.",
            "Everyone in your family group chat will see your statement.",
        ],
    ),
    "crisis_pressure": (
        CR,
        [
            "你别装了，今天必须还钱",
            "想死也得先把钱还了",
            "别拿自杀吓唬我，该还的还得还",
            "你死了我们也会找你家人要",
            "少来这套，装可怜没用",
            "不想活了？那先把欠款结清",
            "你跳楼之前把账还了",
            "演什么戏，赶紧还款",
            "你这种人就会用死来威胁",
            "就算你不在了，征信照样黑",
            "你要寻死是你的事，钱还是要还",
        ],
        [
            "Stop pretending and pay now.",
            "Even if you kill yourself, your family still has to pay.",
            "Don't threaten me with suicide, you still owe us.",
            "Drama won't help, pay today.",
            "Whatever you do to yourself, the debt stays.",
        ],
    ),
}

# Compliant lines, by kind (hard negatives).
NEGATIVES: dict[str, tuple[dict, list[str], list[str]]] = {
    "negation": (
        NO,
        [
            "我们不会去您单位找您，请放心",
            "我们绝不会联系您的家人和同事",
            "我不是律师，只是公司的催收专员",
            "我们不会因为这件事报警抓人",
            "请不要把钱转到任何个人账户",
            "我们不会收取任何额外费用",
            "不会有人上门打扰您",
            "我们不会把您的信息告诉任何人",
            "不会半夜给您打电话的",
            "我们不是法院，也不代表任何政府部门",
            "欠款不会让您坐牢，但会影响信用",
            "我们从来不会威胁客户",
            "您放心，我们不会天天打电话",
            "我们没有权力冻结您家人的账户",
        ],
        [
            "We will not contact your employer.",
            "I'm not a lawyer, I work for the agency.",
            "Nobody is going to come to your home.",
            "Please never pay into a personal account.",
            "You won't go to jail over this debt.",
            "We won't call you after 9 pm.",
        ],
    ),
    "firm": (
        NO,
        [
            "如果一直不处理，公司可能会依法提起诉讼",
            "逾期记录会按规定报送征信系统",
            "请您在本月15日前还款",
            "法院判决后仍不履行的，可能被列为失信被执行人",
            "请通过官方APP或我司对公账户还款",
            "这笔欠款到今天已经逾期45天了",
            "您之前承诺的还款没有到账，今天能处理吗",
            "如果有困难，我们可以申请分期，但需要您提供材料",
            "我需要明确告诉您，逾期会持续产生罚息",
            "这是您本人签的合同，还款义务是存在的",
            "请您今天给我一个明确的还款时间",
            "如走法律程序，法院会依法处理",
            "您好，我是XX资产的专员，受银行委托联系您",
            "我们会继续按规定时间联系您，直到问题解决",
        ],
        [
            "If the debt stays unpaid, the bank may take legal action as the law allows.",
            "Late payments are reported to the credit bureau.",
            "Please pay through the official app or the company account.",
            "I need a firm payment date from you today.",
            "Your account is 60 days overdue.",
            "We can set up instalments if you send us proof of income.",
        ],
    ),
    "trap": (
        NO,
        [
            "打扰您了，我是银行委托的专员",
            "金额单位是元，请核对一下",
            "垃圾分类的事先不说，我们谈谈还款计划",
            "这个月可以滚动还款吗？我帮您问问",
            "您可以咨询您自己的律师",
            "手机死机了的话可以晚点回我",
            "杀毒软件拦截了短信的话，请查看拦截记录",
            "谨防骗子，请勿向陌生人转账",
            "老板那边发工资了吗？发了可以先还一部分",
            "警方提醒：官方不会让您转到个人账户",
            "您的单位地址需要更新吗",
            "我们的政策是分期最多12期",
            "公安路那个网点也可以办理",
            "您家人知道的话可能会担心，所以我们单独跟您沟通",
            "打个比方，如果每月还两千，半年就能还清",
            "法院路营业厅周末也开门",
        ],
        [
            "This is a courtesy call about your account.",
            "Our policy allows up to twelve instalments.",
            "Sorry to bother you, I'm calling from the agency.",
            "You may want to talk to your own lawyer.",
            "Please beware of scams and never pay strangers.",
            "The assistant will send you the statement.",
        ],
    ),
    "crisis_ok": (
        CR,
        [
            "听起来您现在很难受，还款的事今天先不谈",
            "您身边现在有人陪着您吗？",
            "您的安全比这笔钱重要得多",
            "如果您有伤害自己的想法，请马上拨打心理援助热线",
            "我们先放一放还款，您愿意跟我说说发生了什么吗",
            "我会把您的情况报给主管，暂停催收",
            "今天我们不谈还款，您先照顾好自己",
            "需要的话我可以帮您联系专业的帮助",
        ],
        [
            "Your safety matters more than this debt.",
            "Let's put the payment aside today. Is someone with you?",
            "Please call a crisis hotline right now if you feel unsafe.",
            "We'll pause collection on your account for now.",
        ],
    ),
    "compliant": (
        TP,
        [
            "请转告他回电，谢谢",
            "我有私事想找他本人，麻烦让他回个电话",
            "方便告诉我他什么时候在家吗？我稍后再打",
            "没关系，我改天再联系他本人",
        ],
        [
            "Could you ask him to call me back? It's a personal matter.",
            "No problem, I'll try him again later.",
        ],
    ),
}

NEGATIVES["compliant_plain"] = (
    NO,
    [
        "您好，请问是本人吗？我这边是受银行委托的专员",
        "跟您核实一下，您上个月的还款还没有到账",
        "您看这周五之前能先还一部分吗",
        "理解您最近手头紧，我们一起想想办法",
        "如果您对金额有异议，可以提交材料，我们会核实",
        "您可以在官方APP里查到完整账单",
        "我把还款方式用短信发给您，请注意查收",
        "分期方案需要主管审批，我今天就帮您提交",
        "您说的情况我记下来了，明天上午给您回复",
        "请问您方便的时间是几点？我按您的时间再联系",
        "谢谢您今天接电话，我们保持沟通",
        "您的投诉我会如实转给质检部门",
        "最低还款额是1500元，您看能不能先处理这部分",
        "如果收入有变化，可以申请调整还款计划",
        "我们只和您本人沟通这笔账款",
        "您提到失业了，可以提供一下证明材料吗",
        "还款请认准我司对公账户，户名是公司全称",
        "请您冷静一下，我们慢慢说",
        "我明白您很生气，您的意见我都会记录",
        "今天的通话会录音，用于服务质量检查",
        "按合同约定，本月应还3200元",
        "我们可以先约定一个小额还款，表示诚意",
        "您有权要求我们出具书面的欠款明细",
        "如果您已经还过了，麻烦发一下凭证",
        "这是工作时间的正常回访",
        "您家人那边我们不会联系，这是您本人的事",
        "我不会再打扰您的工作，下班后方便吗",
        "您好，这里是客户服务中心，提醒您账单到期",
        "有任何问题可以打我们的官方客服热线",
        "您的还款已经入账，谢谢配合",
    ],
    [
        "Hello, am I speaking with the account holder?",
        "I understand money is tight right now; let's find a plan together.",
        "If you dispute the amount, send us the documents and we'll check.",
        "You can see the full statement in the official app.",
        "When is a good time for me to call you back?",
        "The minimum payment this month is 1,500 yuan.",
        "Please only pay into the company's registered account.",
        "I've noted your complaint and will pass it to quality control.",
        "This call is recorded for quality purposes.",
        "Thank you for your payment, it has been received.",
        "Could you send me proof of the payment you made?",
        "We only discuss this account with you.",
    ],
)
NEGATIVES["negation"][1].extend(
    [
        "我们不会找您的领导，也不会打给您同事",
        "您不用担心，这不是刑事案件",
        "我不代表法院，也不能替法院做决定",
        "我们不会在网上公开您的任何信息",
        "没有什么上门费，您不用额外付钱",
        "我不能承诺全部减免，具体要看审批",
        "请不要把钱转给我个人",
        "我们绝对不会半夜打电话",
    ]
)
NEGATIVES["negation"][2].extend(
    [
        "We won't post anything about you online.",
        "There is no extra fee for late contact.",
        "I can't promise a full waiver, it needs approval.",
        "We will never threaten you or your family.",
    ]
)
NEGATIVES["trap"][1].extend(
    [
        "这个月的账单已经出来了，我帮您算一下",
        "您单位放假的话，哪天方便联系",
        "我们打算给您申请停息挂账",
        "打款时请备注合同号",
        "您朋友圈里说的搬家，是换了新地址吗？麻烦更新一下",
        "派送员会把纸质账单寄到您登记的地址",
        "通讯录授权已经关闭了，我们只联系您本人",
        "律师函是公司法务部按程序出具的，您可以核实",
    ]
)

# Obfuscated forms of violation lines (spacing, full-width, traditional, pinyin, homophones).
HAND_FORMS: list[tuple[str, str, str, dict]] = [
    ("threat", "去 你 单 位 找 你", "spaced", NO),
    ("threat", "你 等 着", "spaced", NO),
    ("insult", "你个 sb", "homophone", NO),
    ("insult", "你这个煞笔", "homophone", NO),
    ("insult", "傻 B 一个", "spaced", NO),
    ("insult", "shabi，赶紧还", "pinyin", NO),
    ("threat", "ni deng zhe", "pinyin", NO),
    ("false_legal", "zuo lao 你知道吗", "pinyin", NO),
    ("insult", "你这个垃 圾", "spaced", NO),
    ("violence", "弄 死 你", "spaced", NO),
]

# Lines that honestly belong to a second category too: flagging that one is not an error.
ALSO = {
    "给你脸不要脸是吧，到时候别怪我们不客气": ["insult"],
    "我拿刀去你家谈": ["threat"],
    "打到你还钱为止": ["harassment", "threat"],
    "You are a pathetic loser.": ["derogatory"],
    "这里是人民法院，通知你明天到庭": ["false_legal"],
    "本人是执行法官，给你最后一次机会": ["misleading", "false_legal"],
    "请你告诉他赶紧还款，不然后果很严重": ["threat"],
    "I can get your credit record deleted if you pay me now.": ["personal_account"],
    "我已经把你的资料发给你的同学了": ["contact_unrelated"],
    "我们会在你单位门口贴你的欠款告示": ["threat"],
    "你这种人就会用死来威胁": ["derogatory"],
    "我会联系你的同事和领导说明情况": ["disclosure", "privacy"],
    "我们会把你的事告诉你公司人事部": ["privacy", "disclosure"],
    "你孩子以后考公当兵都不行": ["threat"],
    "今天不还，明天就去你孩子学校门口等你": ["contact_unrelated"],
    "你死了我们也会找你家人要": ["threat", "false_legal"],
    "Even if you kill yourself, your family still has to pay.": ["false_legal"],
    "你的照片和身份证我们会发到网上曝光": ["threat"],
    "你老婆的手机号、你孩子的学校我们都知道": ["threat"],
}
TRANSFORM_SHARE = 0.18
FW = {
    c: chr(ord(c) + 0xFEE0)
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
}


def transform(text: str) -> tuple[str, str]:
    form = R.choice(["spaced", "fullwidth", "traditional"])
    if form == "spaced":
        # Spaces or zero-width spaces between CJK characters.
        sep = R.choice([" ", "\u200b", "  "])
        return sep.join(text), form
    if form == "fullwidth":
        return "".join(FW.get(c, c) for c in text).replace("，", "，"), form
    return T.convert(text), form


def main() -> None:
    rows: list[dict] = []
    for cat, (ctx, zh, en) in VIOLATIONS.items():
        for lang, lines in (("zh", zh), ("en", en)):
            for line in lines:
                rows.append(_row(lang, line, [cat], ctx, "violation", "plain"))
                if lang == "zh" and R.random() < TRANSFORM_SHARE:
                    t, form = transform(line)
                    rows.append(_row(lang, t, [cat], ctx, "violation", form))
    for cat, text, form, ctx in HAND_FORMS:
        rows.append(_row("zh", text, [cat], ctx, "violation", form))
    for kind, (ctx, zh, en) in NEGATIVES.items():
        for lang, lines in (("zh", zh), ("en", en)):
            for line in lines:
                rows.append(_row(lang, line, [], ctx, kind, "plain"))
                if lang == "zh" and R.random() < TRANSFORM_SHARE:
                    t, form = transform(line)
                    rows.append(_row(lang, t, [], ctx, kind, form))
    with OUT.open("w", encoding="utf-8") as fh:
        for n, r in enumerate(rows, 1):
            fh.write(json.dumps({"id": f"g{n:04d}", **r}, ensure_ascii=False) + "\n")
    pos = sum(1 for r in rows if r["labels"])
    print(f"{OUT}: {len(rows)} lines ({pos} violations, {len(rows) - pos} compliant)")


def _row(lang: str, text: str, labels: list[str], ctx: dict, kind: str, form: str) -> dict:
    also = ALSO.get(_plain(text), [])
    row = {"lang": lang, "text": text, "labels": labels, "ctx": ctx, "kind": kind, "form": form}
    return {**row, "also": also} if also else row


def _plain(text: str) -> str:
    t = opencc.OpenCC("t2s").convert(text)
    t = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E and c != "，" else c for c in t)
    return t.replace("\u200b", "").replace("  ", "").replace(" ", "") if _cjk(t) else t


def _cjk(t: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in t)


if __name__ == "__main__":
    main()
