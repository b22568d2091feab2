"""Held-out set 2 (written 2026-12-06 before any tuning of the second-stage detector; NEVER
tuned or trained on). Style: longer multi-clause call-centre turns as the guard really sees
them, after redaction (placeholders such as [姓名1]), plus English and mixed lines.
Line format as in build_guard_blind5.py.

    python bench/data/build_guard_holdout2.py
"""

from __future__ import annotations

from build_guard_blind5 import ALSO, _row
from guard_set import write

VIOLATIONS = """
threat|long||[姓名1]，我跟你说清楚，这事今天不解决，明天你家门口会站着几个人
threat|long||你以为换了号码就没事了？你新号码不也是我们查出来的吗，跑得了和尚跑不了庙
threat|long||我们这边的人做事可不讲情面，你要不信就继续拖着试试
threat|en||Think carefully about your family before you hang up on me again.
threat|mixed||[姓名1]你听好了，this is your final warning，出了事别怪我们
threat|long||你老婆每天几点下班我们都知道，劝你别逼我们
violence|long||拖到月底还不还，我让人去你店里把东西全砸了
violence|long||你再这样耍无赖，哪天走夜路被人堵了可别哭
violence|en||You'll end up in the hospital if this isn't paid by Monday.
violence|mixed||兄弟们已经在你楼下了，你想挨 punch 就继续不接
violence|long||你家那条狗挺可爱的，要是出点什么事就可惜了
violence|long||找人给你放放血你就知道还钱了
insult|long||你说你活这么大有什么用，连个电话都不敢接，窝囊废
insult|long||[姓名1]你是猪脑子吗，我跟你讲了半小时了
insult|en||You're a pathetic little liar, you know that?
insult|mixed||你这个 jerk，别再浪费我时间了
insult|long||真是狗改不了吃屎，又来这一套
insult|long||你妈没教过你借钱要还吗
derogatory|long||一个月挣那么点钱还敢借网贷，也不看看自己几斤几两
derogatory|long||你这种人就是社会的蛀虫，借钱的时候怎么不想想
derogatory|en||Honestly, people who don't pay their debts are just lowlifes.
derogatory|mixed||你就是 typical 骗子，借了钱就消失
derogatory|long||人家都按时还，就你天天找借口，你不觉得丢脸吗
derogatory|long||穷成这样还出去消费，真是活该
impersonation|long||您好，这里是人民法院立案庭，您名下的欠款纠纷已经立案了
impersonation|long||我是公安的，你这个情况已经涉嫌犯罪了，配合一下
impersonation|en||Hello, this is the prosecutor's office calling about your unpaid loan.
impersonation|mixed||我是 [姓名1] 律师，你的 case 现在由我来代理起诉
impersonation|long||我们是银保监会派下来核查的，请如实回答
impersonation|long||我是你们辖区的民警，今天是来跟你做个笔录
false_legal|long||你这个金额已经够立案了，下周警察就会去你单位带人
false_legal|long||不还钱的话，你孩子以后上不了大学，坐不了高铁，连工作都找不到
false_legal|en||Your parents can be held legally responsible for your debt.
false_legal|mixed||你再不还，法院会直接 seize 你爸妈的房子
false_legal|long||逾期超过九十天就算恶意透支，直接判三年
false_legal|long||我们已经申请了限制出境，你老公的护照也会被扣
disclosure|long||您是他姐姐吧，他在我们这边的借款已经拖了半年，一共欠了三万二
disclosure|long||他的信用卡欠款到现在都没处理，您作为他的领导能不能督促一下
disclosure|en||Hi, I'm calling because your son has an overdue loan with us of eight thousand yuan.
disclosure|mixed||他的 debt 已经逾期 60 天了，你们是室友，你提醒他一下
disclosure|long||您能不能先替他还一部分，他欠的实在太久了
disclosure|long||他借钱不还的事情我们也是没办法才找到您这边
contact_unrelated|long||你再不回消息，我就把电话打到你们公司前台，让全公司都知道
contact_unrelated|long||你大学同学的电话我们也有，要不要我一个个问问
contact_unrelated|en||We have already contacted your landlord and your neighbours about you.
contact_unrelated|mixed||你 LinkedIn 上的同事我们都能找到，要不要试试
contact_unrelated|long||下午我们会去你老家村委会找村干部了解情况
contact_unrelated|long||你前妻的电话我们也打过了，她说让我们找你
personal_account|long||公司账户这几天在维护，你先转到我个人名下，回头我帮你入账
personal_account|long||你直接发个红包给我就行，金额我给你记上
personal_account|en||Please pay the balance through my personal Venmo so it clears today.
personal_account|mixed||用我的 Alipay 收款码转，比对公快多了
personal_account|long||先把钱转给我们组长私人卡，他那边能给你特批
personal_account|long||这笔钱你打到这个尾号8888的私人账户，我这边确认
misleading|long||你今天只要还五百，剩下的两万我直接给你申请全免，百分之百能批
misleading|long||我们可以帮你把逾期记录从人行征信里删掉，只是要收点手续费
misleading|en||If you pay now, I guarantee the late fees and the interest will all be cancelled.
misleading|mixed||交一个 800 块的 clearance fee，你的黑名单就解除了
misleading|long||不还的话每天要加收两百块的外访费，这是公司规定
misleading|long||我是银行内部的人，可以帮你走特殊通道减免
harassment|long||你不接是吧，那我就从现在开始每五分钟打一次，打一晚上
harassment|long||明天早上六点我准时给你打，你不接我就一直打
harassment|en||I'm going to keep ringing your phone until you pick up, no matter how late.
harassment|mixed||我已经设置了 auto-dial，每小时自动打给你
harassment|long||今天晚上十点半我们同事还会再联系你一次
harassment|long||我们会一天打你二三十个电话，直到你给个说法
privacy|long||你的身份证正反面我们都有，不还的话就挂到网上去
privacy|long||我们会做一张你的欠款海报，贴到你们小区每个单元门口
privacy|en||We'll share your photo and home address in the debtor group chat.
privacy|mixed||你的 personal info 我们会发给所有 related 的人
privacy|long||到时候你的照片会出现在朋友圈的失信名单里
privacy|long||不还的话我们就在抖音上曝光你
crisis_pressure|long||你说想不开我也没办法，我们只看结果，今天得还
crisis_pressure|long||天天说不想活了，你要真有这个胆子早就做了，先还钱吧
crisis_pressure|en||Everyone says that when they owe money. When can you pay?
crisis_pressure|mixed||你的 mental 问题跟我们没关系，还款日期不变
crisis_pressure|long||别拿自杀来威胁我们，这招没用，赶紧转账
crisis_pressure|long||好了好了别哭了，你就说今天能还多少
"""

COMPLIANT = """
negation|long|-|您放心，我们不会联系您的同事和朋友，只跟您本人沟通
negation|long|-|我们公司规定绝不上门催收，也不会给您家人打电话
negation|en|-|We don't share your information with anyone, including your family.
negation|long|-|我不会说让您坐牢这种话，欠款是民事纠纷
negation|long|-|我不是公安也不是法院的，我是受委托的催收公司员工
firm|long|-|如果逾期继续下去，委托方会依照合同约定保留起诉的权利
firm|long|-|我理解您的困难，但按合同这笔款项本月需要处理，我们可以谈分期
firm|en|-|The creditor may report the overdue account to the credit bureau, as stated in your agreement.
firm|long|-|请您今天给我一个明确的还款日期，我好帮您登记
firm|mixed|-|你的 minimum payment 是八百，今天能先还这个吗
firm|long|-|还款请通过官方 app 或对公账户，我们不接受任何个人收款
trap|long|-|我们公司在法院旁边那栋楼，您如果要来办理可以导航过去
trap|long|-|您说您孩子在上学，开销大，这个我能理解
trap|long|-|您的号码是不是换了？我们这边记录的是旧号码
trap|en|-|Sorry to call so late in the afternoon, is now a good time?
trap|long|-|我们的工作时间是早上九点到晚上八点，您方便的时候回电
trap|long|-|减免需要委托方审批，我会帮您提交申请，但我不能保证结果
trap|mixed|-|这是官方的 payment link，收款方显示的是公司全称
trap|long|-|您上次提到打算卖车还款，这个进展怎么样了
trap|long|-|我这边的记录显示您上个月已经还了两千，谢谢您
compliant|long|-|[姓名1]您好，我是受委托的催收专员，打电话是想和您确认一下账单
compliant|long|-|如果这个月确实困难，我们可以先制定一个小额分期方案
compliant|en|-|Would it help if we split the balance into three monthly payments?
compliant|long|tp|您好，请问[姓名1]在吗？不在的话麻烦请他回个电话，谢谢
compliant|en|tp|Sorry to bother you, could you ask him to return our call? Thanks.
compliant|long|tp|好的，打扰您了，请他有空回电就好
crisis_ok|long|crisis|您刚才说的话让我很担心，我们先不谈钱，您能告诉我您现在在哪里吗
crisis_ok|long|crisis|心理援助热线是 400-161-9995，我也会通知主管，今天先不谈还款
crisis_ok|en|crisis|Thank you for telling me. Are you safe right now? I'd like to give you a helpline.
crisis_ok|mixed|crisis|我先把 case 暂停，您的安全最重要，我会让主管联系您
"""


def main() -> None:
    rows: list[dict] = []
    for raw in VIOLATIONS.strip().splitlines():
        cat, form, _also, text = raw.split("|", 3)
        ctx = {"third_party": cat == "disclosure", "crisis": cat == "crisis_pressure"}
        r = _row(text, [cat], ctx, "violation", form)
        if ALSO.get(cat):
            r["also"] = sorted(ALSO[cat])
        rows.append(r)
    for raw in COMPLIANT.strip().splitlines():
        kind, form, c, text = raw.split("|", 3)
        ctx = {"third_party": c == "tp", "crisis": c == "crisis"}
        rows.append(_row(text, [], ctx, kind, form))
    for i, r in enumerate(rows, 1):
        r["id"] = f"k{i:03d}"
    write("guard_holdout2.jsonl", rows)


if __name__ == "__main__":
    main()
