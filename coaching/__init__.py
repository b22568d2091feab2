"""The domain: plans, scores, training, role-play, risk, compliance, redaction, LLM client.

Nothing in this package imports Telegram.
"""
