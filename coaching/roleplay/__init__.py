"""Role-play drills: scenarios, compliance guard, debtor engine, grading."""
