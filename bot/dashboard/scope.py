"""Who may see what on the dashboard: the chat commands' scopes, stated once for the web.

- team scoreboard (/team): team leads their own team(s) (coaching.scoring.service.led_team_ids),
  HR their branch's teams, admins every team;
- branch comparison (/team for HR): HR their branch, admins every branch;
- training (/stats): trainers and admins; their own branch, or every branch with "all" (as
  `/stats all` allows in chat);
- HR risk (/risk, /attrition, the alert buttons): HR their branch, admins every branch;
- a person's page: the collector their own card; their team lead, their branch's HR and
  admins the whole page; their branch's trainers the training part only.
"""

from __future__ import annotations

from dataclasses import dataclass

from coaching.people import Caller

PAGE_ROLES: dict[str, frozenset[str]] = {
    "team": frozenset({"team_lead", "hr", "admin"}),
    "branches": frozenset({"hr", "admin"}),
    "training": frozenset({"trainer", "admin"}),
    "risk": frozenset({"hr", "admin"}),
}
ALL_SECTIONS = frozenset({"score", "plan", "training", "drills"})
TRAINER_SECTIONS = frozenset({"training", "drills"})


@dataclass(frozen=True)
class Viewer:
    caller: Caller
    telegram_user_id: int
    led_teams: frozenset[int]

    @property
    def locale(self) -> str:
        return self.caller.locale

    def has(self, *roles: str) -> bool:
        return self.caller.has_role(*roles)

    def may_open(self, page: str) -> bool:
        roles = PAGE_ROLES.get(page)
        if roles is None:
            return page in ("home", "person")
        if page == "team" and self.has("team_lead") and not self.led_teams:
            return self.has("hr", "admin")
        return self.has(*roles)

    def branch_scope(self) -> int | None:
        """HR, trainers: their own branch; admins: None (every branch)."""
        return None if self.has("admin") else self.caller.branch_id

    def may_see_team(self, team_id: int, team_branch: int) -> bool:
        if self.has("admin"):
            return True
        if self.has("hr") and team_branch == self.caller.branch_id:
            return True
        return self.has("team_lead") and team_id in self.led_teams

    def sections_for(self, employee_id: int, branch_id: int, team_id: int | None) -> frozenset[str]:
        """The parts of a person's page this viewer may see (empty: none at all)."""
        if employee_id == self.caller.employee_id or self.has("admin"):
            return ALL_SECTIONS
        if self.has("hr") and branch_id == self.caller.branch_id:
            return ALL_SECTIONS
        if self.has("team_lead") and team_id is not None and team_id in self.led_teams:
            return ALL_SECTIONS
        if self.has("trainer") and branch_id == self.caller.branch_id:
            return TRAINER_SECTIONS
        return frozenset()

    def nav(self) -> list[str]:
        pages = [p for p in ("team", "branches", "training", "risk") if self.may_open(p)]
        if self.has("collector"):
            pages.insert(0, "me")
        return pages
