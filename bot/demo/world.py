"""The demo's shared pieces: fixed chats, name pools, the world being built, small helpers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import (
    Branch,
    Employee,
    Team,
)

DEMO_ORG = Path(__file__).with_name("demo_org.yaml")
HR_CHAT_SH = -1001000000001
HR_CHAT_JKT = -1001000000002
TRAINERS_CHAT = -1001000000011

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓"
    "曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯"
PRODUCTS = ["信用卡", "消费贷", "现金贷", "车贷"]
REGIONS = ["华东", "华南", "华北", "西南", "华中"]


@dataclass
class Persona:
    """Hidden traits that drive the synthetic activity (not stored)."""

    skill: float  # 0..1: contact and promise conversion, fewer complaints
    diligence: float  # calls per day multiplier
    decline: float  # 0 = stable; > 0 = performance falling month by month
    sloppy: bool  # more compliance findings
    leave_recent: int  # extra leave days in the last 30 days


@dataclass
class DemoWorld:
    """What extensions get: the session, the reference date and who is who."""

    session: Session
    rng: random.Random
    today: date
    now: datetime
    branches: dict[str, Branch] = field(default_factory=dict)
    teams: list[Team] = field(default_factory=list)
    collectors: list[Employee] = field(default_factory=list)
    personas: dict[int, Persona] = field(default_factory=dict)
    trainers: list[Employee] = field(default_factory=list)
    hr: list[Employee] = field(default_factory=list)


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        n = (
            rng.choice(SURNAMES)
            + rng.choice(GIVEN)
            + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        )
        if n not in used:
            used.add(n)
            return n


def _workdays(start: date, end: date) -> list[date]:
    days, d = [], start
    while d <= end:
        if d.isoweekday() <= 5:
            days.append(d)
        d += timedelta(days=1)
    return days
