"""Live KPI scorecards: weighted components, compliance veto, ranks, trends, promotions."""

from coaching.scoring.config import (
    ScoringConfig,
    ScoringConfigError,
    _cached,
    get_config,
    load_config,
)

__all__ = ["ScoringConfig", "ScoringConfigError", "config_for", "get_config", "load_config"]


def config_for(settings: object) -> ScoringConfig:
    """The config named by the settings (COACHBOT_SCORING_CONFIG) or the shipped one."""
    path = getattr(settings, "scoring_config", None)
    return _cached(str(path)) if path else get_config()
