"""Daily time-block plans: configuration, selectors, recipients, recap figures, holidays."""
