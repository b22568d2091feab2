"""HR attrition risk: signals, scores, alerts, attrition analytics, exits and backtests."""
